"""The CPS guard, earned: how far apart beyond 1 s / cap the trunk's slots go, learnt from how late dials really send.

Slots are (1 s + guard) / cap apart, and a dial later than a quarter of its guard past its slot takes a new one. Any
cap + 1 consecutive slots then span 1 s + guard, so LiveKit sees at most the cap in any sliding second as long as
the way there varies by less than the rest of the guard. A fixed guard pays for the worst case all the time (100 ms
costs 9 % of the cap); this one is four times the recent 99th percentile of the send path's lateness (from the
slot to the request's headers written, dial.py), between a floor and a ceiling. The floor covers what the dialer
cannot measure: how much the way to LiveKit, and LiveKit's reading of the requests, vary (the Python stand-in in
the tests showed single requests read 50 ms late). A busy path pays for what it measures, and re-slots about one
dial in a hundred.

Instances sharing a trunk may earn different guards. A dial's quarter-guard tolerance only holds if the slots after
it are spaced by at least its own guard, so each plan records its guard on the trunk's budget row for the next
seconds (`TrunkGuards`) and spaces its slots by the largest guard still recorded there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from dialer.engine.recent import RecentPercentile

WINDOW = 200  # the last dials' send lateness that counts
PERCENTILE = 0.99
FACTOR = 4.0  # a dial may be late by a quarter of the guard: the guard is four times the lateness it must allow
REACH = timedelta(seconds=2)  # a recorded guard holds this long past its plan's last slot (cap slots span ~1 s)
STEP_S = 0.005  # guards are whole steps (rounded up), so a trunk's record holds a few distinct ones, not hundreds


class EarnedGuard:
    def __init__(self, *, floor_s: float, ceiling_s: float, window: int = WINDOW, percentile: float = PERCENTILE) -> None:
        if not 0 <= floor_s <= ceiling_s:
            raise ValueError("0 <= floor_s <= ceiling_s is required")
        self._floor_s = floor_s
        self._ceiling_s = ceiling_s
        self._recent = RecentPercentile(window=window, percentile=percentile)

    def observe(self, late_s: float) -> None:
        """A dial's request left this long after its slot (or after its check, if it was ready only then)."""
        self._recent.observe(late_s)

    @property
    def seconds(self) -> float:
        measured = self._recent.value()
        if measured is None:
            return self._floor_s
        earned = math.ceil(FACTOR * measured / STEP_S - 1e-9) * STEP_S
        return min(self._ceiling_s, max(self._floor_s, round(earned, 6)))


def tolerance_s(guard_s: float) -> float:
    """How late past its slot a dial may still send."""
    return guard_s / FACTOR


def slot_interval(calls_per_second: float, guard_s: float) -> timedelta:
    return timedelta(seconds=(1.0 + guard_s) / calls_per_second)


@dataclass(frozen=True)
class RecordedGuard:
    guard_s: float
    until: datetime


class TrunkGuards:
    """The guards recorded on a trunk's budget row, each until its plan's slots are a second or two behind: stored
    as JSON, `[[guard_s, until_epoch_s], ...]`, at most one per distinct guard still in force."""

    def __init__(self, entries: Sequence[RecordedGuard] = ()) -> None:
        self.entries = tuple(entries)

    @classmethod
    def load(cls, stored: Any) -> TrunkGuards:
        if not isinstance(stored, list):
            return cls()
        entries = []
        for item in stored:
            if isinstance(item, list) and len(item) == 2 and all(isinstance(v, (int, float)) for v in item):
                entries.append(RecordedGuard(float(item[0]), datetime.fromtimestamp(float(item[1]), timezone.utc)))
        return cls(entries)

    def dump(self) -> list[list[float]]:
        return [[e.guard_s, e.until.timestamp()] for e in self.entries]

    def spacing_s(self, own_s: float, at: datetime) -> float:
        """The guard to space slots from `at` on: ours, or a larger one another plan recorded for slots near `at`."""
        return max([own_s, *(e.guard_s for e in self.entries if e.until > at)])

    def recorded(self, own_s: float, until: datetime, now: datetime) -> TrunkGuards:
        """With ours recorded until `until`: expired entries dropped, and any entry another outlasts and outweighs."""
        live = {(e.guard_s, e.until) for e in self.entries if e.until > now} | {(own_s, until)}
        kept = [(g, u) for g, u in live if not any(og >= g and ou >= u and (og, ou) != (g, u) for og, ou in live)]
        return TrunkGuards([RecordedGuard(g, u) for g, u in sorted(kept, key=lambda item: (item[1], item[0]))])
