"""decide(): each branch, the order of the rules, and reasons that never contain the phone number."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time
from typing import Any

import pytest

from dialer.policy import Action, CallingWindow, Decision, DecisionCode, Outcome, decide

CHICAGO_PHONE = "+13125550100"  # America/Chicago
BOISE_PHONE = "+12085550100"  # America/Boise + America/Los_Angeles
UNKNOWN_PHONE = "+15555550100"  # Etc/Unknown
MONDAY_NOON_CHICAGO = datetime(2026, 7, 6, 17, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def base(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "now": MONDAY_NOON_CHICAGO,
        "candidate_phone": CHICAGO_PHONE,
        "candidate_tz": None,
        "missing_fields": ["quota_attainment"],
        "on_dnc": False,
        "attempts_made": 0,
        "max_attempts": 3,
        "last_outcome": None,
        "window": CallingWindow(),
        "not_before": None,
        "not_after": None,
        "batch_status": "active",
    }
    kwargs.update(overrides)
    return kwargs


CASES: list[tuple[str, dict[str, Any], Action, DecisionCode, datetime | None]] = [
    ("due", {}, Action.DIAL, DecisionCode.DUE, MONDAY_NOON_CHICAGO),
    ("due after a busy", {"attempts_made": 2, "last_outcome": Outcome.BUSY}, Action.DIAL, DecisionCode.DUE,
     MONDAY_NOON_CHICAGO),
    ("running status", {"batch_status": "running"}, Action.DIAL, DecisionCode.DUE, MONDAY_NOON_CHICAGO),
    ("cancelled", {"batch_status": "cancelled"}, Action.CANCEL, DecisionCode.BATCH_CANCELLED, None),
    ("canceled US spelling", {"batch_status": " Canceled "}, Action.CANCEL, DecisionCode.BATCH_CANCELLED, None),
    ("dnc", {"on_dnc": True}, Action.GIVE_UP, DecisionCode.DO_NOT_CALL, None),
    ("nothing missing", {"missing_fields": []}, Action.GIVE_UP, DecisionCode.NOTHING_MISSING, None),
    ("nothing missing tuple", {"missing_fields": ()}, Action.GIVE_UP, DecisionCode.NOTHING_MISSING, None),
    ("invalid number", {"last_outcome": Outcome.INVALID_NUMBER, "attempts_made": 1}, Action.GIVE_UP,
     DecisionCode.INVALID_NUMBER, None),
    ("invalid number as string", {"last_outcome": "invalid_number", "attempts_made": 1}, Action.GIVE_UP,
     DecisionCode.INVALID_NUMBER, None),
    ("max attempts reached", {"attempts_made": 3}, Action.GIVE_UP, DecisionCode.MAX_ATTEMPTS, None),
    ("max attempts exceeded", {"attempts_made": 7}, Action.GIVE_UP, DecisionCode.MAX_ATTEMPTS, None),
    ("one attempt left", {"attempts_made": 2}, Action.DIAL, DecisionCode.DUE, MONDAY_NOON_CHICAGO),
    ("paused", {"batch_status": "PAUSED"}, Action.WAIT, DecisionCode.BATCH_PAUSED, None),
    ("no zone", {"candidate_phone": UNKNOWN_PHONE}, Action.GIVE_UP, DecisionCode.NO_TIME_ZONE, None),
    ("bad explicit zone", {"candidate_tz": "Chicago"}, Action.GIVE_UP, DecisionCode.NO_TIME_ZONE, None),
    ("explicit zone rescues unknown number", {"candidate_phone": UNKNOWN_PHONE, "candidate_tz": "America/Chicago"},
     Action.DIAL, DecisionCode.DUE, MONDAY_NOON_CHICAGO),
    ("explicit zone wins", {"candidate_tz": "Asia/Tokyo"}, Action.WAIT, DecisionCode.OUTSIDE_WINDOW,
     utc(2026, 7, 7, 0)),
    ("before window", {"now": utc(2026, 7, 6, 12, 12)}, Action.WAIT, DecisionCode.OUTSIDE_WINDOW,
     utc(2026, 7, 6, 14)),
    ("after window", {"now": utc(2026, 7, 7, 1)}, Action.WAIT, DecisionCode.OUTSIDE_WINDOW, utc(2026, 7, 7, 14)),
    ("weekend", {"now": utc(2026, 7, 11, 17)}, Action.WAIT, DecisionCode.OUTSIDE_WINDOW, utc(2026, 7, 13, 14)),
    ("multi-zone waits for the later zone", {"candidate_phone": BOISE_PHONE, "now": utc(2026, 7, 6, 15, 30)},
     Action.WAIT, DecisionCode.OUTSIDE_WINDOW, utc(2026, 7, 6, 16)),
    ("multi-zone inside", {"candidate_phone": BOISE_PHONE, "now": utc(2026, 7, 6, 16)}, Action.DIAL,
     DecisionCode.DUE, utc(2026, 7, 6, 16)),
    ("not_before later today", {"not_before": utc(2026, 7, 6, 19)}, Action.WAIT, DecisionCode.NOT_YET,
     utc(2026, 7, 6, 19)),
    ("not_before tonight", {"not_before": utc(2026, 7, 7, 2)}, Action.WAIT, DecisionCode.NOT_YET,
     utc(2026, 7, 7, 14)),
    ("not_before passed", {"not_before": utc(2026, 7, 6, 16)}, Action.DIAL, DecisionCode.DUE, MONDAY_NOON_CHICAGO),
    ("not_before equals now", {"not_before": MONDAY_NOON_CHICAGO}, Action.DIAL, DecisionCode.DUE,
     MONDAY_NOON_CHICAGO),
    ("not_after passed", {"not_after": utc(2026, 7, 6, 16)}, Action.GIVE_UP, DecisionCode.PAST_NOT_AFTER, None),
    ("not_after before next window", {"now": utc(2026, 7, 7, 1), "not_after": utc(2026, 7, 7, 12)},
     Action.GIVE_UP, DecisionCode.PAST_NOT_AFTER, None),
    ("not_after after next window", {"now": utc(2026, 7, 7, 1), "not_after": utc(2026, 7, 8)}, Action.WAIT,
     DecisionCode.OUTSIDE_WINDOW, utc(2026, 7, 7, 14)),
    ("not_after equals now", {"not_after": MONDAY_NOON_CHICAGO}, Action.DIAL, DecisionCode.DUE,
     MONDAY_NOON_CHICAGO),
    ("no common window", {"candidate_phone": "+18005550100"}, Action.GIVE_UP, DecisionCode.NO_COMMON_WINDOW, None),
    # Order of the rules: the first matching one wins.
    ("cancelled beats everything", {"batch_status": "cancelled", "on_dnc": True, "missing_fields": [],
     "attempts_made": 9, "last_outcome": Outcome.INVALID_NUMBER, "candidate_phone": UNKNOWN_PHONE},
     Action.CANCEL, DecisionCode.BATCH_CANCELLED, None),
    ("dnc beats nothing missing", {"on_dnc": True, "missing_fields": [], "batch_status": "paused"}, Action.GIVE_UP,
     DecisionCode.DO_NOT_CALL, None),
    ("nothing missing beats invalid", {"missing_fields": [], "last_outcome": Outcome.INVALID_NUMBER},
     Action.GIVE_UP, DecisionCode.NOTHING_MISSING, None),
    ("invalid beats max attempts", {"last_outcome": Outcome.INVALID_NUMBER, "attempts_made": 3}, Action.GIVE_UP,
     DecisionCode.INVALID_NUMBER, None),
    ("max attempts beats paused", {"attempts_made": 3, "batch_status": "paused"}, Action.GIVE_UP,
     DecisionCode.MAX_ATTEMPTS, None),
    ("paused beats no zone", {"batch_status": "paused", "candidate_phone": UNKNOWN_PHONE}, Action.WAIT,
     DecisionCode.BATCH_PAUSED, None),
    ("no zone beats window", {"candidate_phone": UNKNOWN_PHONE, "now": utc(2026, 7, 11, 3)}, Action.GIVE_UP,
     DecisionCode.NO_TIME_ZONE, None),
]


@pytest.mark.parametrize(
    ("overrides", "action", "code", "at"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_decide(overrides: dict[str, Any], action: Action, code: DecisionCode, at: datetime | None) -> None:
    kwargs = base(**overrides)
    decision = decide(**kwargs)
    assert (decision.action, decision.code, decision.at) == (action, code, at)
    assert decision.reason
    phone = kwargs["candidate_phone"]
    assert phone not in decision.reason
    assert phone[1:] not in decision.reason
    assert phone[-7:] not in decision.reason


def test_outside_window_reason_names_zone_local_time_and_opening() -> None:
    decision = decide(**base(now=utc(2026, 11, 26, 13, 12)))
    assert decision.code == "outside_window"
    assert decision.reason == (
        "outside calling window in America/Chicago (local Thu 07:12); "
        "next window opens 2026-11-26 09:00 local (America/Chicago)"
    )


def test_multi_zone_reason_lists_only_closed_zones() -> None:
    decision = decide(**base(candidate_phone=BOISE_PHONE, now=utc(2026, 7, 6, 15, 30)))
    assert "America/Los_Angeles (local Mon 08:30)" in decision.reason
    assert "America/Boise (local" not in decision.reason
    assert "next window opens 2026-07-06 10:00 local (America/Boise)" in decision.reason


def test_not_yet_reason_mentions_not_before() -> None:
    decision = decide(**base(not_before=utc(2026, 7, 7, 2)))
    assert decision.reason.startswith("not before 2026-07-07 02:00 UTC; next window opens 2026-07-07 09:00 local")


def test_codes_and_actions_are_plain_strings() -> None:
    decision = decide(**base(on_dnc=True))
    assert decision.action == "give_up" and decision.code == "do_not_call"
    assert {a.value for a in Action} == {"dial", "wait", "give_up", "cancel"}


def test_decision_is_frozen() -> None:
    decision = decide(**base())
    assert isinstance(decision, Decision)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.action = Action.CANCEL  # type: ignore[misc]


def test_custom_window_is_respected() -> None:
    narrow = CallingWindow(time(13), time(14))
    decision = decide(**base(window=narrow))
    assert (decision.action, decision.at) == (Action.WAIT, utc(2026, 7, 6, 18))


@pytest.mark.parametrize(
    "overrides",
    [{"now": datetime(2026, 7, 6, 17)}, {"max_attempts": 0}],
)
def test_rejects_bad_arguments(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        decide(**base(**overrides))


def test_keyword_only() -> None:
    with pytest.raises(TypeError):
        decide(*base().values())  # type: ignore[misc]
