"""US state calling rules stricter than the federal window, as one table, each rule naming its source.

The federal floor is 08:00-21:00 at the called party's location: 47 C.F.R. § 64.1200(c)(1) (TCPA rules) and
16 C.F.R. § 310.4(c) (Telemarketing Sales Rule); dialer/policy/window.py clamps every window to it. The states
below restrict telephone solicitations further. A recruiting call is arguably not a solicitation, but the agent's
voice is an "artificial voice" under the TCPA (FCC 24-17, 2024), so the dialer applies the stricter reading
everywhere. Hours, Sunday/holiday bans and caps were checked against published state-by-state compliance tables
(see the README, "Compliance rules"); the README says which citations could not be read in the statute itself.

Rules combine by taking the strictest: the latest start, the earliest end, every banned day, the lowest cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from dialer.policy.window import HARD_END, HARD_START

FEDERAL_SOURCE = "47 C.F.R. § 64.1200(c)(1); 16 C.F.R. § 310.4(c)"


@dataclass(frozen=True)
class StateRule:
    """One state's restrictions. `max_calls_per_24h` counts calls to the same person on the same subject."""

    state: str
    name: str
    source: str
    start: time = HARD_START
    end: time = HARD_END
    no_sundays: bool = False
    no_holidays: bool = False
    max_calls_per_24h: int | None = None


STATE_RULES: dict[str, StateRule] = {
    rule.state: rule
    for rule in (
        StateRule("AL", "Alabama", "Ala. Code § 8-19A-14 (Alabama Telemarketing Act); holidays: Ala. Code § 1-3-8",
                  end=time(20), no_sundays=True, no_holidays=True),
        StateRule("CT", "Connecticut", "Conn. Gen. Stat. § 42-288a(c), as amended by Public Act 23-98",
                  start=time(9), end=time(20)),
        StateRule("FL", "Florida", "Fla. Stat. § 501.616(6)(a) hours, § 501.616(6)(b) three calls per 24 hours",
                  end=time(20), max_calls_per_24h=3),
        StateRule("KY", "Kentucky", "KRS 367.46955(15)", start=time(10)),
        StateRule("LA", "Louisiana", "La. R.S. 45:844.17; holidays: La. R.S. 1:55 and the Louisiana PSC's list",
                  end=time(20), no_sundays=True, no_holidays=True),
        StateRule("MD", "Maryland", "Md. Code, Com. Law § 14-4503 (Stop the Spam Calls Act of 2023)",
                  end=time(20), max_calls_per_24h=3),
        StateRule("MI", "Michigan", "Mich. Comp. Laws § 445.111b(1)", start=time(9)),
        StateRule("MN", "Minnesota", "Minn. Stat. § 325E.27", start=time(9)),
        StateRule("NV", "Nevada", "Nev. Rev. Stat. § 228.590", start=time(9), end=time(20)),
        StateRule("OK", "Oklahoma", "Okla. Stat. tit. 15, § 775C.4 (Telephone Solicitation Act of 2022)",
                  end=time(20), max_calls_per_24h=3),
        StateRule("WA", "Washington", "RCW 80.36.390(2)", end=time(20)),
    )
}


@dataclass(frozen=True)
class LocalRules:
    """The strictest combination of the rules of every state a callee may be in."""

    states: frozenset[str]
    start: time = HARD_START
    end: time = HARD_END
    no_sundays: bool = False
    no_holidays: bool = False
    max_calls_per_24h: int | None = None
    applied: tuple[StateRule, ...] = ()  # the rules of those states, for the decision trail

    def hours_rules(self) -> tuple[StateRule, ...]:
        """The rules that set the start or the end of the hours."""
        return tuple(
            r for r in self.applied if (r.start == self.start > HARD_START) or (r.end == self.end < HARD_END)
        )

    def day_rules(self) -> tuple[StateRule, ...]:
        return tuple(r for r in self.applied if r.no_sundays or r.no_holidays)

    def cap_rules(self) -> tuple[StateRule, ...]:
        return tuple(r for r in self.applied if r.max_calls_per_24h == self.max_calls_per_24h is not None)


def rules_for(states: Iterable[str]) -> LocalRules:
    """Combine the rules of `states` (USPS codes): a callee who may be in any of them gets the strictest."""
    codes = frozenset(s.strip().upper() for s in states if s.strip())
    applied = tuple(STATE_RULES[c] for c in sorted(codes) if c in STATE_RULES)
    caps = [r.max_calls_per_24h for r in applied if r.max_calls_per_24h is not None]
    return LocalRules(
        states=codes,
        start=max([HARD_START, *(r.start for r in applied)]),
        end=min([HARD_END, *(r.end for r in applied)]),
        no_sundays=any(r.no_sundays for r in applied),
        no_holidays=any(r.no_holidays for r in applied),
        max_calls_per_24h=min(caps) if caps else None,
        applied=applied,
    )


def cite(rules: Iterable[StateRule]) -> str:
    """'Florida: Fla. Stat. ...; Kentucky: KRS ...' (the federal rule when none applies)."""
    named = [f"{r.name}: {r.source}" for r in rules]
    return "; ".join(named) or f"federal: {FEDERAL_SOURCE}"
