"""The circuit breaker as a pure state machine, on a manual clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.clock import ManualClock
from dialer.engine.circuit import CircuitBreaker, CircuitState
from tests.support import T0

COOLDOWN = timedelta(seconds=30)


def state(breaker: CircuitBreaker) -> CircuitState:
    """Read through a function: the state changes with the clock, which a type checker cannot see."""
    return breaker.state


@pytest.fixture
def breaker(clock: ManualClock) -> CircuitBreaker:
    return CircuitBreaker(clock=clock, failure_threshold=3, cooldown=COOLDOWN, probe_timeout=timedelta(seconds=60))


def test_opens_after_n_consecutive_failures_only(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # the run of failures is broken
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) is CircuitState.CLOSED and breaker.allowance() is None
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN
    assert breaker.allowance() == 0
    assert breaker.times_opened == 1


def test_open_waits_for_the_cooldown_then_lets_exactly_one_probe_through(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.advance(COOLDOWN - timedelta(seconds=1))
    assert state(breaker) is CircuitState.OPEN and breaker.allowance() == 0
    snapshot = breaker.snapshot()
    assert snapshot.retry_at == T0 + COOLDOWN and snapshot.opened_at == T0
    clock.advance(timedelta(seconds=1))
    assert state(breaker) is CircuitState.HALF_OPEN
    assert breaker.allowance() == 1
    breaker.probe_started()
    assert breaker.allowance() == 0  # the probe is out; nobody else
    assert breaker.may_place(probe=True) and not breaker.may_place(probe=False)


def test_probe_success_closes_and_resets_the_count(breaker: CircuitBreaker, clock: ManualClock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.advance(COOLDOWN)
    breaker.probe_started()
    breaker.record_success()
    assert state(breaker) is CircuitState.CLOSED
    assert breaker.snapshot().consecutive_failures == 0
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) is CircuitState.CLOSED  # a fresh run of three is needed again


def test_probe_failure_reopens_for_a_new_cooldown(breaker: CircuitBreaker, clock: ManualClock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.advance(COOLDOWN)
    breaker.probe_started()
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN and breaker.times_opened == 2
    assert breaker.snapshot().retry_at == clock.now() + COOLDOWN
    clock.advance(COOLDOWN)
    assert state(breaker) is CircuitState.HALF_OPEN


def test_results_arriving_while_open_change_nothing(breaker: CircuitBreaker, clock: ManualClock) -> None:
    for _ in range(3):
        breaker.record_failure()
    breaker.record_success()  # a straggler dialled before the circuit opened
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN and breaker.times_opened == 1
    assert breaker.snapshot().retry_at == T0 + COOLDOWN  # the cool-down is not extended either
    assert not breaker.may_place(probe=False) and not breaker.may_place(probe=True)


def test_a_probe_that_never_reports_back_is_replaced_after_the_probe_timeout(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.advance(COOLDOWN)
    breaker.probe_started()
    clock.advance(timedelta(seconds=59))
    assert breaker.allowance() == 0
    clock.advance(timedelta(seconds=1))
    assert breaker.allowance() == 1


def test_a_released_probe_is_neither_success_nor_failure_and_the_next_probes_at_once(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    """No agent took the probe's job, so nothing rang: the trunk is untested, and waiting out the probe time-out
    would stall every queued call for nothing."""
    for _ in range(3):
        breaker.record_failure()
    clock.advance(COOLDOWN)
    breaker.probe_started()
    assert breaker.allowance() == 0
    breaker.release_probe()
    assert state(breaker) is CircuitState.HALF_OPEN and breaker.allowance() == 1  # no clock advance needed
    assert breaker.times_opened == 1 and breaker.snapshot().consecutive_failures == 3
    breaker.probe_started()
    breaker.record_failure()  # the next probe reaches the dead trunk: open again, as any failed probe
    assert state(breaker) is CircuitState.OPEN and breaker.times_opened == 2


def test_releasing_outside_half_open_changes_nothing(breaker: CircuitBreaker, clock: ManualClock) -> None:
    breaker.release_probe()
    assert state(breaker) is CircuitState.CLOSED and breaker.allowance() is None
    for _ in range(3):
        breaker.record_failure()
    breaker.release_probe()
    assert state(breaker) is CircuitState.OPEN and breaker.allowance() == 0


def test_snapshot_for_health(breaker: CircuitBreaker) -> None:
    assert breaker.snapshot().as_dict() == {
        "state": "closed", "consecutive_failures": 0, "opened_at": None, "retry_at": None, "times_opened": 0,
    }
    for _ in range(3):
        breaker.record_failure()
    data = breaker.snapshot().as_dict()
    assert data["state"] == "open" and data["retry_at"] == (T0 + COOLDOWN).isoformat()


def test_bad_arguments(clock: ManualClock) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(clock=clock, failure_threshold=0, cooldown=COOLDOWN)
    with pytest.raises(ValueError):
        CircuitBreaker(clock=clock, failure_threshold=1, cooldown=timedelta(0))
