"""The configured calling window narrowed by the callee's state rules, holidays and per-day caps.

Pure functions beside dialer/policy/window.py: the window search there knows weekdays and hours; this adds what
varies by jurisdiction (hours, Sundays, holidays in the callee's local calendar, calls per 24 hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialer.policy.area_codes import state_code, states_for_number
from dialer.policy.holidays import HolidayCalendar
from dialer.policy.us_states import LocalRules, rules_for
from dialer.policy.window import DEFAULT_HORIZON, CallingWindow, next_allowed_at

CAP_PERIOD = timedelta(hours=24)
SUNDAY = 6
_MAX_HOLIDAY_SKIPS = 40  # more holidays in a row than any calendar has: the search is bounded


def callee_rules(phone_e164: str, record_state: str | None) -> LocalRules:
    """The rules of the record's state plus every state the number's area code serves (both may be right)."""
    states = set(states_for_number(phone_e164))
    code = state_code(record_state) if record_state else None
    if code is not None:
        states.add(code)
    return rules_for(states)


def is_lawful_at(
    instant: datetime, zones: Sequence[ZoneInfo], window: CallingWindow, rules: LocalRules, holidays: HolidayCalendar
) -> bool:
    """Whether a call may start at `instant` (a booked callback, say) under the window and the state rules."""
    narrowed = lawful_window(window, rules)
    return narrowed is not None and narrowed.is_open(instant, zones) and not is_quiet_day(
        instant, zones, rules, holidays
    )


def lawful_window(window: CallingWindow, rules: LocalRules) -> CallingWindow | None:
    """The configured window within the state rules' hours and days; None when nothing is left."""
    start, end = max(window.start, rules.start), min(window.end, rules.end)
    weekdays = window.weekdays - {SUNDAY} if rules.no_sundays else window.weekdays
    if start >= end or not weekdays:
        return None
    return CallingWindow(start=start, end=end, weekdays=weekdays)


def cap_reopens_at(now: datetime, recent_dials: Sequence[datetime], cap: int | None) -> datetime | None:
    """When another call is allowed under a cap of `cap` calls per 24 hours; None when one is allowed now."""
    if cap is None:
        return None
    inside = sorted(d for d in recent_dials if now - CAP_PERIOD < d <= now)
    if len(inside) < cap:
        return None
    return inside[-cap] + CAP_PERIOD  # the moment the oldest of the last `cap` calls leaves the 24 hours


def is_quiet_day(instant: datetime, zones: Sequence[ZoneInfo], rules: LocalRules, holidays: HolidayCalendar) -> bool:
    """A Sunday or a holiday in any of the callee's zones, where their state forbids calls then."""
    for zone in zones:
        day = instant.astimezone(zone).date()
        if rules.no_sundays and day.weekday() == SUNDAY:
            return True
        if rules.no_holidays and holidays.is_holiday(day):
            return True
    return False


def next_lawful_at(
    now: datetime,
    zones: Sequence[ZoneInfo],
    window: CallingWindow,
    rules: LocalRules,
    holidays: HolidayCalendar,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    *,
    horizon: timedelta = DEFAULT_HORIZON,
) -> datetime | None:
    """The earliest instant >= max(now, not_before) inside the lawful window in every zone, on no quiet day."""
    narrowed = lawful_window(window, rules)
    if narrowed is None:
        return None
    limit = max(now, not_before or now) + horizon
    start = not_before
    for _ in range(_MAX_HOLIDAY_SKIPS):
        at = next_allowed_at(now, zones, narrowed, start, not_after, horizon=horizon)
        if at is None or at > limit:
            return None
        quiet = [z for z in zones if is_quiet_day(at, (z,), rules, holidays)]
        if not quiet:
            return at
        # Start again at the next local midnight of every zone where that day is quiet.
        start = max(_next_midnight(at, zone) for zone in quiet)
    return None


def _next_midnight(instant: datetime, zone: ZoneInfo) -> datetime:
    day = instant.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
