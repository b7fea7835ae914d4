"""The call's states, their one transition table and the lease rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.lifecycle import ACTIVE, FINAL, INITIAL, OPEN, TRANSITIONS, CallState, IllegalTransition, LeaseRules
from dialer.lifecycle.states import check
from dialer.policy import DecisionCode, Outcome, RetryPolicy
from tests.support import T0


def test_states_are_the_api_strings() -> None:
    assert [s.value for s in CallState] == ["scheduled", "dialing", "in_call", "completed", "failed", "cancelled"]


def test_every_state_has_a_row_and_final_states_have_no_exit() -> None:
    assert set(TRANSITIONS) == set(CallState)
    assert all(TRANSITIONS[s] == frozenset() for s in FINAL)
    assert set(OPEN) | set(FINAL) == set(CallState) and not set(OPEN) & set(FINAL)
    assert set(ACTIVE) < set(OPEN) and set(INITIAL) <= set(OPEN)


def test_every_open_state_can_reach_a_final_one() -> None:
    for state in OPEN:
        seen, frontier = {state}, [state]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen & set(FINAL), state


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("completed", CallState.SCHEDULED),  # an ended call is never reopened
        ("cancelled", CallState.DIALING),
        ("scheduled", CallState.IN_CALL),  # answered without an attempt
        ("scheduled", CallState.COMPLETED),
        ("in_call", CallState.DIALING),
    ],
)
def test_moves_outside_the_table_are_refused(current: str, to: CallState) -> None:
    with pytest.raises(IllegalTransition, match=f"from {current} to {to.value}"):
        check(current, to)


def test_allowed_moves_pass() -> None:
    assert check("dialing", CallState.IN_CALL) is CallState.IN_CALL
    assert check("in_call", CallState.SCHEDULED) is CallState.SCHEDULED


def test_every_outcome_that_may_go_unretried_has_a_decision_code() -> None:
    """An attempt's outcome the retry policy does not retry is recorded under that outcome's own code."""
    for outcome in Outcome:
        if outcome is not Outcome.ANSWERED:
            assert DecisionCode(outcome.value).value == outcome.value
    assert RetryPolicy().delay(Outcome.INVALID_NUMBER, 1) is None


def test_lease_rules() -> None:
    rules = LeaseRules(ringing_timeout_s=30, max_call_duration_s=600, grace_s=120)
    assert rules.dialing_until(T0) == T0 + timedelta(seconds=150)
    assert rules.ringing_until(T0) == T0 + timedelta(seconds=150)
    assert rules.answered_until(T0) == T0 + timedelta(seconds=720)
    assert rules.held_until(T0) == T0 + timedelta(seconds=120)
    assert rules.web_until(T0, timedelta(minutes=10)) == T0 + timedelta(seconds=1200)
