"""Holidays as a configurable list of dates: US federal holidays by default, computed for any year.

Only the states whose rules forbid calls on holidays look at it (see dialer/policy/us_states.py). The federal
list follows 5 U.S.C. § 6103(a); a holiday on a Saturday is observed on the Friday before, one on a Sunday on
the Monday after (5 U.S.C. § 6103(b), Executive Order 11582). Both the day itself and the observed day are
treated as holidays: a state that forbids calls "on a legal holiday" may mean either, so neither is called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

FEDERAL = "federal"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) `weekday` (0 = Monday) of a month; n = -1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def federal_holidays(year: int) -> frozenset[date]:
    """The eleven federal holidays of `year` (5 U.S.C. § 6103(a)), with their observed days."""
    fixed = [date(year, 1, 1), date(year, 6, 19), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    moving = [
        _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.: third Monday in January
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday: third Monday in February
        _nth_weekday(year, 5, 0, -1),  # Memorial Day: last Monday in May
        _nth_weekday(year, 9, 0, 1),  # Labor Day: first Monday in September
        _nth_weekday(year, 10, 0, 2),  # Columbus Day: second Monday in October
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day: fourth Thursday in November
    ]
    days = set(fixed) | {_observed(d) for d in fixed} | set(moving)
    # New Year's Day of next year observed on Friday 31 December belongs to this year.
    if date(year + 1, 1, 1).weekday() == 5:
        days.add(date(year, 12, 31))
    return frozenset(days)


@dataclass(frozen=True)
class HolidayCalendar:
    """`federal` adds the computed federal holidays of every year; `dates` adds fixed dates (state holidays)."""

    federal: bool = True
    dates: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, items: Iterable[str]) -> HolidayCalendar:
        """From settings: "federal" and/or ISO dates ("2026-12-24"); an empty list means no holidays at all."""
        federal = False
        dates: set[date] = set()
        for raw in items:
            item = raw.strip()
            if not item:
                continue
            if item.lower() == FEDERAL:
                federal = True
                continue
            try:
                dates.add(date.fromisoformat(item))
            except ValueError:
                raise ValueError(f"{item!r} is neither 'federal' nor a date like 2026-12-24") from None
        return cls(federal=federal, dates=frozenset(dates))

    def is_holiday(self, day: date) -> bool:
        return day in self.dates or (self.federal and day in federal_holidays(day.year))

    def describe(self) -> str:
        parts = (["US federal holidays"] if self.federal else []) + [d.isoformat() for d in sorted(self.dates)]
        return ", ".join(parts) or "none"


DEFAULT_HOLIDAYS = HolidayCalendar()
