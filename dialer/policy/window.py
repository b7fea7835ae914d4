"""The calling window in the callee's local time, and the search for the next instant inside it.

Hard limits (08:00-21:00 local) are a legal floor that no configuration may widen: a window is clamped to
them when it is built. The window is half-open, [start, end): a call may start at 09:00, not at 20:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HARD_START = time(8, 0)
HARD_END = time(21, 0)
DEFAULT_START = time(9, 0)
DEFAULT_END = time(20, 0)
WEEKDAYS_MON_FRI: frozenset[int] = frozenset(range(5))
DEFAULT_HORIZON = timedelta(days=14)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class CallingWindow:
    """Local times and weekdays (0 = Monday) when a callee may be rung; other weekdays are quiet days."""

    start: time = DEFAULT_START
    end: time = DEFAULT_END
    weekdays: frozenset[int] = field(default=WEEKDAYS_MON_FRI)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are local wall-clock times; pass naive times")
        days = frozenset(self.weekdays)
        if not days:
            raise ValueError("a calling window needs at least one weekday")
        if any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days):
            raise ValueError("weekdays are integers 0 (Monday) to 6 (Sunday)")
        start = max(self.start, HARD_START)
        end = min(self.end, HARD_END)
        if start >= end:
            raise ValueError(f"empty calling window {start:%H:%M}-{end:%H:%M} after clamping to the hard limits")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "weekdays", days)

    @classmethod
    def from_strings(cls, start: str, end: str, weekdays: Iterable[int]) -> CallingWindow:
        """Build from settings' "HH:MM" strings."""
        return cls(start=time.fromisoformat(start), end=time.fromisoformat(end), weekdays=frozenset(weekdays))

    def contains_local(self, local: datetime) -> bool:
        """Whether a wall-clock moment (in the callee's zone) is inside the window."""
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end

    def is_open(self, instant: datetime, zones: Sequence[ZoneInfo]) -> bool:
        """Whether `instant` is inside the window in every zone (the safe reading of multi-zone numbers)."""
        _require_aware(instant, "instant")
        if not zones:
            raise ValueError("at least one zone is needed")
        return all(self.contains_local(instant.astimezone(zone)) for zone in zones)

    def describe(self) -> str:
        days = ",".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        return f"{self.start:%H:%M}-{self.end:%H:%M} {days}"


def next_allowed_at(
    now: datetime,
    zones: Sequence[ZoneInfo],
    window: CallingWindow,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    *,
    horizon: timedelta = DEFAULT_HORIZON,
) -> datetime | None:
    """The earliest instant >= max(now, not_before) inside the window in all zones, in UTC.

    None when that instant is after `not_after` or more than `horizon` past the search start (for instance
    when the zones are so far apart that their windows never overlap).

    The earliest common instant is either the search start or the moment some zone's window opens, so only
    those candidates are checked, each against every zone's wall clock. Window openings are converted with
    both DST folds; in a zone whose clocks jump *at* the opening time the answer may be late by the jump,
    never early.
    """
    _require_aware(now, "now")
    if not zones:
        raise ValueError("at least one zone is needed")
    start = now
    if not_before is not None:
        _require_aware(not_before, "not_before")
        start = max(start, not_before)
    start = start.astimezone(UTC)
    limit = start + horizon
    if not_after is not None:
        _require_aware(not_after, "not_after")
        limit = min(limit, not_after.astimezone(UTC))
    if start > limit:
        return None

    candidates = {start}
    for zone in zones:
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = limit.astimezone(zone).date() + timedelta(days=1)
        day = first
        while day <= last:
            if day.weekday() in window.weekdays:
                candidates.update(_local_to_utc(day, window.start, zone))
            day += timedelta(days=1)
    for candidate in sorted(c for c in candidates if start <= c <= limit):
        if window.is_open(candidate, zones):
            return candidate
    return None


def _local_to_utc(day: date, at: time, zone: ZoneInfo) -> set[datetime]:
    return {datetime.combine(day, at, tzinfo=zone).replace(fold=fold).astimezone(UTC) for fold in (0, 1)}


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
