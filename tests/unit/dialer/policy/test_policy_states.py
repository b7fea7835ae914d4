"""State calling rules, holidays and area codes: table-driven, every state in the table at every quarter hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from dialer.policy import Action, CallingWindow, Consent, DecisionCode, decide
from dialer.policy.area_codes import area_code_states, state_code, states_for_number
from dialer.policy.holidays import HolidayCalendar, federal_holidays
from dialer.policy.local_rules import cap_reopens_at, lawful_window
from dialer.policy.us_states import STATE_RULES, rules_for
from dialer.policy.window import HARD_END, HARD_START
from dialer.policy.zones import callee_zones

ALL_WEEK = CallingWindow(start=time(8), end=time(21), weekdays=frozenset(range(7)))
FLORIDA = "+12395550100"  # 239: Florida only, America/New_York
KENTUCKY = "+12705550100"
ALABAMA = "+12055550100"  # America/Chicago
CHICAGO = "+13125550100"  # Illinois: no state rule
MONDAY = date(2026, 7, 6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def base(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "now": utc(2026, 7, 6, 17),
        "candidate_phone": FLORIDA,
        "candidate_tz": None,
        "missing_fields": ["quota_attainment"],
        "on_dnc": False,
        "attempts_made": 0,
        "max_attempts": 10,
        "last_outcome": None,
        "window": ALL_WEEK,
        "not_before": None,
        "not_after": None,
        "batch_status": "active",
    }
    kwargs.update(overrides)
    return kwargs


# -- holidays -----------------------------------------------------------------------------------------------------

FEDERAL_2026 = {
    date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25), date(2026, 6, 19),
    date(2026, 7, 3), date(2026, 7, 4),  # Saturday the 4th, observed Friday the 3rd
    date(2026, 9, 7), date(2026, 10, 12), date(2026, 11, 11), date(2026, 11, 26), date(2026, 12, 25),
}


def test_federal_holidays_of_2026() -> None:
    assert federal_holidays(2026) == FEDERAL_2026


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (date(2022, 12, 26), True),  # Christmas on a Sunday: observed Monday
        (date(2022, 12, 25), True),
        (date(2027, 12, 24), True),  # Christmas on a Saturday: observed Friday
        (date(2027, 12, 31), True),  # New Year's Day 2028 is a Saturday: observed in 2027
        (date(2028, 1, 17), True),  # third Monday of January
        (date(2028, 5, 29), True),  # last Monday of May
        (date(2028, 11, 23), True),  # fourth Thursday of November
        (date(2028, 11, 30), False),
        (date(2026, 7, 6), False),
        (date(2026, 2, 17), False),  # Mardi Gras is a Louisiana holiday, not a federal one
    ],
)
def test_federal_holiday_rules(day: date, holiday: bool) -> None:
    assert HolidayCalendar().is_holiday(day) is holiday


def test_holiday_list_is_configurable() -> None:
    calendar = HolidayCalendar.parse(["federal", "2026-02-17"])
    assert calendar.is_holiday(date(2026, 2, 17)) and calendar.is_holiday(date(2026, 12, 25))
    only_dates = HolidayCalendar.parse(["2026-02-17"])
    assert only_dates.is_holiday(date(2026, 2, 17)) and not only_dates.is_holiday(date(2026, 12, 25))
    assert not HolidayCalendar.parse([]).is_holiday(date(2026, 12, 25))
    with pytest.raises(ValueError, match="neither 'federal' nor a date"):
        HolidayCalendar.parse(["christmas"])


# -- area codes and state names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "states"),
    [
        (FLORIDA, {"FL"}),
        ("+13055550100", {"FL"}),
        ("+12015550100", {"NJ", "NY"}),  # an area code whose exchanges the geocoder places in two states
        ("+12125550100", {"NY"}),
        ("+12025550100", {"DC"}),
        ("+16045550100", set()),  # British Columbia
        ("+442071234567", set()),
        ("not a number", set()),
    ],
)
def test_states_for_number(number: str, states: set[str]) -> None:
    assert states_for_number(number) == states


def test_every_state_in_the_table_has_an_area_code() -> None:
    served = set().union(*area_code_states().values())
    assert set(STATE_RULES) <= served


@pytest.mark.parametrize(("text", "code"), [("FL", "FL"), ("fl", "FL"), (" Florida ", "FL"),
                                             ("Washington State", "WA"), ("Ontario", None), ("", None)])
def test_state_code(text: str, code: str | None) -> None:
    assert state_code(text) == code


# -- combining rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "start", "end", "sundays", "holidays", "cap"),
    [
        ((), HARD_START, HARD_END, False, False, None),
        (("IL",), HARD_START, HARD_END, False, False, None),
        (("FL",), time(8), time(20), False, False, 3),
        (("OK",), time(8), time(20), False, False, 3),
        (("MD",), time(8), time(20), False, False, 3),
        (("WA",), time(8), time(20), False, False, None),
        (("KY",), time(10), time(21), False, False, None),
        (("CT",), time(9), time(20), False, False, None),
        (("NV",), time(9), time(20), False, False, None),
        (("MI",), time(9), time(21), False, False, None),
        (("MN",), time(9), time(21), False, False, None),
        (("AL",), time(8), time(20), True, True, None),
        (("LA",), time(8), time(20), True, True, None),
        (("fl", "ky"), time(10), time(20), False, False, 3),  # several states: the strictest of each
        (("AL", "FL", "MN"), time(9), time(20), True, True, 3),
    ],
)
def test_rules_combine_to_the_strictest(
    states: tuple[str, ...], start: time, end: time, sundays: bool, holidays: bool, cap: int | None
) -> None:
    rules = rules_for(states)
    assert (rules.start, rules.end, rules.no_sundays, rules.no_holidays, rules.max_calls_per_24h) == (
        start, end, sundays, holidays, cap)


def test_every_rule_names_its_source() -> None:
    for rule in STATE_RULES.values():
        assert rule.source.strip() and rule.name
        assert HARD_START <= rule.start < rule.end <= HARD_END


def test_lawful_window() -> None:
    assert lawful_window(CallingWindow(), rules_for(["KY"])) == CallingWindow(start=time(10), end=time(20))
    assert lawful_window(ALL_WEEK, rules_for(["AL"])) == CallingWindow(
        start=time(8), end=time(20), weekdays=frozenset(range(6)))
    assert lawful_window(CallingWindow(start=time(20), end=time(21)), rules_for(["FL"])) is None


@pytest.mark.parametrize(
    ("recent", "cap", "reopens"),
    [
        ([], 3, None),
        ([utc(2026, 7, 6, 9), utc(2026, 7, 6, 12)], 3, None),
        ([utc(2026, 7, 6, 9), utc(2026, 7, 6, 12), utc(2026, 7, 6, 15)], 3, utc(2026, 7, 7, 9)),
        ([utc(2026, 7, 5, 16), utc(2026, 7, 6, 9), utc(2026, 7, 6, 12)], 3, None),  # one is over 24 h old
        ([utc(2026, 7, 6, h) for h in (8, 9, 12, 15)], 3, utc(2026, 7, 7, 9)),
        ([utc(2026, 7, 6, 9)] * 5, None, None),
    ],
)
def test_cap_reopens_at(recent: list[datetime], cap: int | None, reopens: datetime | None) -> None:
    assert cap_reopens_at(utc(2026, 7, 6, 17), recent, cap) == reopens


# -- decide() with state rules ------------------------------------------------------------------------------------


def _representative_number(state: str) -> str:
    for npa, states in sorted(area_code_states().items()):
        number = f"+1{npa}5550100"
        if states == {state} and len(callee_zones(number, None)) == 1:
            return number
    raise AssertionError(f"no single-zone area code for {state}")


@pytest.mark.parametrize("state", sorted(STATE_RULES))
def test_each_state_dials_exactly_inside_its_hours(state: str) -> None:
    """Every quarter hour of a Monday, in the state's local time: dial iff inside its hours and the window."""
    rule = STATE_RULES[state]
    number = _representative_number(state)
    zone = callee_zones(number, None)[0]
    moment = datetime.combine(MONDAY, time(0), tzinfo=zone)
    for _ in range(96):
        decision = decide(**base(now=moment.astimezone(UTC), candidate_phone=number))
        inside = max(rule.start, ALL_WEEK.start) <= moment.time() < min(rule.end, ALL_WEEK.end)
        assert (decision.action is Action.DIAL) is inside, (state, moment.time(), decision)
        if not inside:
            assert decision.action is Action.WAIT
            opens = decision.at.astimezone(zone) if decision.at else None
            assert opens is not None and opens.time() == max(rule.start, ALL_WEEK.start)
            if ALL_WEEK.start <= moment.time() < ALL_WEEK.end:
                assert decision.code is DecisionCode.STATE_HOURS
                assert rule.source in decision.reason
        moment += timedelta(minutes=15)


CASES: list[tuple[str, dict[str, Any], Action, DecisionCode, datetime | None]] = [
    ("Florida 19:59 local", {"now": utc(2026, 7, 6, 23, 59)}, Action.DIAL, DecisionCode.DUE, utc(2026, 7, 6, 23, 59)),
    ("Florida 20:00 local", {"now": utc(2026, 7, 7, 0)}, Action.WAIT, DecisionCode.STATE_HOURS, utc(2026, 7, 7, 12)),
    ("Kentucky 09:30 local", {"candidate_phone": KENTUCKY, "now": utc(2026, 7, 6, 13, 30)}, Action.WAIT,
     DecisionCode.STATE_HOURS, utc(2026, 7, 6, 14)),
    ("Illinois 20:30 local: federal only", {"candidate_phone": CHICAGO, "now": utc(2026, 7, 7, 1, 30)}, Action.DIAL,
     DecisionCode.DUE, utc(2026, 7, 7, 1, 30)),
    ("record state adds Florida's hours", {"candidate_phone": CHICAGO, "candidate_state": "FL",
                                           "now": utc(2026, 7, 7, 1, 30)}, Action.WAIT, DecisionCode.STATE_HOURS,
     utc(2026, 7, 7, 13)),
    ("record state and area code: both", {"candidate_state": "Kentucky", "now": utc(2026, 7, 6, 13, 30)},
     Action.WAIT, DecisionCode.STATE_HOURS, utc(2026, 7, 6, 14)),
    ("Florida: two calls today", {"recent_dials": [utc(2026, 7, 6, 13), utc(2026, 7, 6, 15)]}, Action.DIAL,
     DecisionCode.DUE, utc(2026, 7, 6, 17)),
    ("Florida: three calls today", {"recent_dials": [utc(2026, 7, 6, 13), utc(2026, 7, 6, 14), utc(2026, 7, 6, 15)]},
     Action.WAIT, DecisionCode.STATE_DAILY_CAP, utc(2026, 7, 7, 13)),
    ("Florida: the oldest of three calls leaves the 24 hours",
     {"recent_dials": [utc(2026, 7, 6, 12, 30), utc(2026, 7, 6, 13), utc(2026, 7, 6, 23)], "now": utc(2026, 7, 6, 23, 30)},
     Action.WAIT, DecisionCode.STATE_DAILY_CAP, utc(2026, 7, 7, 12, 30)),
    ("Illinois: no cap", {"candidate_phone": CHICAGO, "recent_dials": [utc(2026, 7, 6, 13)] * 5}, Action.DIAL,
     DecisionCode.DUE, utc(2026, 7, 6, 17)),
    ("Alabama on a Sunday", {"candidate_phone": ALABAMA, "now": utc(2026, 7, 12, 17)}, Action.WAIT,
     DecisionCode.STATE_QUIET_DAY, utc(2026, 7, 13, 13)),
    ("Alabama on the observed Independence Day", {"candidate_phone": ALABAMA, "now": utc(2026, 7, 3, 17)},
     Action.WAIT, DecisionCode.STATE_QUIET_DAY, utc(2026, 7, 6, 13)),  # Sat the 4th and Sun the 5th are quiet too
    ("Alabama, holidays switched off", {"candidate_phone": ALABAMA, "now": utc(2026, 7, 3, 17),
                                        "holidays": HolidayCalendar.parse([])}, Action.DIAL, DecisionCode.DUE,
     utc(2026, 7, 3, 17)),
    ("Louisiana on a configured state holiday", {"candidate_phone": "+12255550100", "now": utc(2026, 2, 17, 17),
                                                 "holidays": HolidayCalendar.parse(["federal", "2026-02-17"])},
     Action.WAIT, DecisionCode.STATE_QUIET_DAY, utc(2026, 2, 18, 14)),
    ("Illinois on a holiday", {"candidate_phone": CHICAGO, "now": utc(2026, 7, 3, 17)}, Action.DIAL, DecisionCode.DUE,
     utc(2026, 7, 3, 17)),
    ("configured window leaves nothing under Florida", {"window": CallingWindow(start=time(20), end=time(21))},
     Action.GIVE_UP, DecisionCode.NO_COMMON_WINDOW, None),
    ("weekday window closed comes first", {"window": CallingWindow(), "candidate_phone": ALABAMA,
                                           "now": utc(2026, 7, 12, 17)}, Action.WAIT, DecisionCode.OUTSIDE_WINDOW,
     utc(2026, 7, 13, 14)),
]


@pytest.mark.parametrize(("name", "overrides", "action", "code", "at"), CASES, ids=[c[0] for c in CASES])
def test_decide_with_state_rules(
    name: str, overrides: dict[str, Any], action: Action, code: DecisionCode, at: datetime | None
) -> None:
    decision = decide(**base(**overrides))
    assert (decision.action, decision.code, decision.at) == (action, code, at), decision.reason
    assert "555" not in decision.reason


@pytest.mark.parametrize(
    ("overrides", "cited"),
    [
        ({"now": utc(2026, 7, 7, 0)}, "Fla. Stat. § 501.616(6)(a)"),
        ({"recent_dials": [utc(2026, 7, 6, 13)] * 3}, "§ 501.616(6)(b)"),
        ({"candidate_phone": ALABAMA, "now": utc(2026, 7, 12, 17)}, "Ala. Code"),
        ({}, "Florida: Fla. Stat."),  # a dial names the state rules it was checked against
    ],
)
def test_decisions_name_the_rule(overrides: dict[str, Any], cited: str) -> None:
    assert cited in decide(**base(**overrides)).reason


# -- consent ------------------------------------------------------------------------------------------------------

GIVEN = Consent(source="application form", at=utc(2026, 6, 1), channel="web")

CONSENT_CASES: list[tuple[str, Consent | None, bool, Action, DecisionCode]] = [
    ("not required, none", None, False, Action.DIAL, DecisionCode.DUE),
    ("required, none", None, True, Action.GIVE_UP, DecisionCode.NO_CONSENT),
    ("required, empty", Consent(), True, Action.GIVE_UP, DecisionCode.NO_CONSENT),
    ("required, no source", Consent(at=utc(2026, 6, 1)), True, Action.GIVE_UP, DecisionCode.NO_CONSENT),
    ("required, given", GIVEN, True, Action.DIAL, DecisionCode.DUE),
    ("required, withdrawn after", Consent(source="form", at=utc(2026, 6, 1), withdrawn_at=utc(2026, 6, 2)), True,
     Action.GIVE_UP, DecisionCode.NO_CONSENT),
    ("required, given again after withdrawal",
     Consent(source="form", at=utc(2026, 6, 3), withdrawn_at=utc(2026, 6, 2)), True, Action.DIAL, DecisionCode.DUE),
]


@pytest.mark.parametrize(("name", "consent", "required", "action", "code"), CONSENT_CASES,
                         ids=[c[0] for c in CONSENT_CASES])
def test_consent(name: str, consent: Consent | None, required: bool, action: Action, code: DecisionCode) -> None:
    decision = decide(**base(consent=consent, consent_required=required))
    assert (decision.action, decision.code) == (action, code)
    if code is DecisionCode.NO_CONSENT:
        assert "47 U.S.C. § 227(b)(1)" in decision.reason


def test_do_not_call_comes_before_consent_and_consent_before_the_rest() -> None:
    assert decide(**base(on_dnc=True, consent_required=True)).code is DecisionCode.DO_NOT_CALL
    assert decide(**base(missing_fields=[], consent_required=True)).code is DecisionCode.NO_CONSENT
    withdrawn = Consent(source="form", at=utc(2026, 6, 1), withdrawn_at=utc(2026, 6, 2))
    assert "withdrew consent" in decide(**base(consent=withdrawn, consent_required=True)).reason
