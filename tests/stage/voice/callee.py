"""The callee: the stage's sipp phone (on the outer end of the stage's veth pair), started for each test with that
test's call scripts, always on the one SIP port the dialer's outbound trunk points at (the trunk id is a setting of the running ``dialer serve``).

Numbers are in a zone where it is day now (the calling window must be open where the number is), so the suite
runs at any hour: ``CalleeNumbers.number("50")`` is ``+1 NPA 555 0150`` for that zone's area code.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.stage.phone import SipPhone
from tests.stage.processes import free_port_pair
from tests.stage.sipp_scenario import CallScript
from tests.stage.stage import Stage

# (zone, number prefix): the fictional 555-01XX numbers of places far apart in time
ZONES = (("America/New_York", "+1212555"), ("Pacific/Honolulu", "+1808555"), ("Pacific/Guam", "+1671555"))
CALL_REGIONS = "US,GU"


def daytime_prefix(now: datetime | None = None) -> str:
    """The prefix whose zone is nearest 14:00 now (an 08:00-21:00 window stays open for hours)."""
    at = now or datetime.now(timezone.utc)

    def distance(item: tuple[str, str]) -> int:
        local = at.astimezone(ZoneInfo(item[0]))
        minutes = abs(local.hour * 60 + local.minute - 14 * 60)
        return min(minutes, 24 * 60 - minutes)

    return min(ZONES, key=distance)[1]


class CalleePhone:
    """``use(scripts)`` (re)starts the phone with these scripts on the trunk's port; ``phone`` is the running one."""

    def __init__(self, stage: Stage, workdir: Path, sipp: str) -> None:
        self.stage = stage
        self.workdir = workdir
        self.sipp = sipp
        self.sip_port = free_port_pair(stage.namespace.outer.address)
        self.prefix = daytime_prefix()
        self._phone: SipPhone | None = None
        self._uses = 0
        self._given: set[str] = set()

    @property
    def address(self) -> str:
        return f"{self.stage.namespace.outer.address}:{self.sip_port}"

    @property
    def phone(self) -> SipPhone:
        if self._phone is None:
            raise RuntimeError("no phone running: call use(scripts) first")
        return self._phone

    def number(self, last_two: str) -> str:
        """One number per scenario for the whole session: the stage's `dialer serve` keeps each number's candidate,
        do-not-call entry and calls, so a second scenario on the same number would inherit them (one on a number an
        earlier scenario put on do-not-call is never dialled)."""
        if last_two in self._given:
            raise ValueError(f"555-01{last_two} is another voice scenario's number this session: pick a free one")
        self._given.add(last_two)
        return f"{self.prefix}01{last_two}"

    def use(self, scripts: dict[str, CallScript]) -> SipPhone:
        self.stop()
        self._uses += 1
        phone = SipPhone(self.workdir / f"phone-{self._uses}", scripts, sipp=self.sipp, at=self.stage.namespace.outer)
        phone.sip_port = self.sip_port  # the trunk's carrier address stays the same from test to test
        phone.start()
        self.stage.processes.append(phone.process)
        self._phone = phone
        return phone

    def stop(self) -> None:
        if self._phone is not None:
            self._phone.stop()
            if self._phone.process in self.stage.processes:
                self.stage.processes.remove(self._phone.process)
            self._phone = None
