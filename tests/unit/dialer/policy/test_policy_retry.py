"""Retry delays by outcome: every outcome, growth, caps, overrides."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from dialer.policy import DEFAULT_RETRY_POLICY, Backoff, Outcome, RetryPolicy, retry_delay

M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_outcome_strings_match_the_api_contract() -> None:
    assert [o.value for o in Outcome] == [
        "answered",
        "busy",
        "no_answer",
        "declined",
        "voicemail",
        "invalid_number",
        "error",
        "wrong_person",
        "no_longer_looking",
        "accepted_other_job",
        "transferred",
        "partially_collected",
        "nothing_collected",
        "no_agent",
        "not_placed",
    ]
    assert Outcome("no_answer") is Outcome.NO_ANSWER


@pytest.mark.parametrize(
    ("outcome", "attempt", "expected"),
    [
        (Outcome.ANSWERED, 1, None),
        (Outcome.ANSWERED, 5, None),
        (Outcome.INVALID_NUMBER, 1, None),
        (Outcome.INVALID_NUMBER, 3, None),
        (Outcome.TRANSFERRED, 1, None),  # the candidate spoke to a person: the bot never rings them again
        (Outcome.TRANSFERRED, 4, None),
        ("transferred", 2, None),
        (Outcome.BUSY, 1, 15 * M),
        (Outcome.BUSY, 2, 15 * M),
        (Outcome.BUSY, 10, 15 * M),
        (Outcome.NO_ANSWER, 1, 2 * H),
        (Outcome.NO_ANSWER, 2, 4 * H),
        (Outcome.NO_ANSWER, 3, 8 * H),
        (Outcome.NO_ANSWER, 4, 16 * H),
        (Outcome.NO_ANSWER, 5, 24 * H),
        (Outcome.NO_ANSWER, 50, 24 * H),
        (Outcome.VOICEMAIL, 1, 4 * H),
        (Outcome.VOICEMAIL, 2, 8 * H),
        (Outcome.VOICEMAIL, 3, 16 * H),
        (Outcome.VOICEMAIL, 4, 32 * H),
        (Outcome.VOICEMAIL, 5, 48 * H),
        (Outcome.DECLINED, 1, 24 * H),
        (Outcome.DECLINED, 4, 24 * H),
        (Outcome.ERROR, 1, 5 * M),
        (Outcome.ERROR, 2, 10 * M),
        (Outcome.ERROR, 3, 20 * M),
        (Outcome.ERROR, 4, 40 * M),
        (Outcome.ERROR, 5, 60 * M),
        (Outcome.ERROR, 1000, 60 * M),
        (Outcome.ERROR, 10**9, 60 * M),
        ("busy", 1, 15 * M),  # plain strings from the store work too
    ],
)
def test_default_table(outcome: Outcome, attempt: int, expected: timedelta | None) -> None:
    assert retry_delay(outcome, attempt) == expected
    assert DEFAULT_RETRY_POLICY.delay(outcome, attempt) == expected


def test_every_outcome_is_covered_and_delays_never_shrink() -> None:
    for outcome in Outcome:
        delays = [retry_delay(outcome, n) for n in range(1, 30)]
        if outcome in (Outcome.ANSWERED, Outcome.INVALID_NUMBER, Outcome.WRONG_PERSON, Outcome.NO_LONGER_LOOKING,
                       Outcome.ACCEPTED_OTHER_JOB, Outcome.TRANSFERRED):
            assert delays == [None] * len(delays)
            continue
        assert all(d is not None and d > timedelta(0) for d in delays)
        assert delays == sorted(delays)  # type: ignore[type-var]


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempt_number_starts_at_one(attempt: int) -> None:
    with pytest.raises(ValueError):
        retry_delay(Outcome.BUSY, attempt)


def test_unknown_outcome_is_rejected() -> None:
    with pytest.raises(ValueError):
        retry_delay("hung_up", 1)  # type: ignore[arg-type]


def test_settings_can_override_entries() -> None:
    policy = dataclasses.replace(
        DEFAULT_RETRY_POLICY,
        busy=Backoff(5 * M, factor=3.0, cap=30 * M),
        declined=None,
    )
    assert retry_delay(Outcome.BUSY, 1, policy) == 5 * M
    assert retry_delay(Outcome.BUSY, 2, policy) == 15 * M
    assert retry_delay(Outcome.BUSY, 3, policy) == 30 * M
    assert retry_delay(Outcome.DECLINED, 1, policy) is None
    assert retry_delay(Outcome.NO_ANSWER, 1, policy) == 2 * H  # untouched entries keep defaults


def test_policy_is_frozen_and_hashable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RETRY_POLICY.busy = None  # type: ignore[misc]
    assert hash(RetryPolicy()) == hash(DEFAULT_RETRY_POLICY)
    assert RetryPolicy() == DEFAULT_RETRY_POLICY


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base": timedelta(0)},
        {"base": -M},
        {"base": M, "factor": 0.5},
        {"base": M, "factor": 2.0},  # growing without a cap
        {"base": H, "cap": M},  # cap below base
    ],
)
def test_backoff_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_backoff_rounds_to_whole_seconds() -> None:
    assert Backoff(timedelta(seconds=1), factor=1.5, cap=H).delay(2) == timedelta(seconds=2)
    assert Backoff(timedelta(seconds=10), factor=1.5, cap=H).delay(3) == timedelta(seconds=22)


def test_the_sandbox_scale_makes_every_retry_watchable_in_a_minute() -> None:
    watched = DEFAULT_RETRY_POLICY.scaled(0.004)
    delays = {o: watched.delay(o, 1) for o in (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.ERROR)}
    assert delays == {Outcome.BUSY: timedelta(seconds=4), Outcome.NO_ANSWER: timedelta(seconds=29),
                      Outcome.VOICEMAIL: timedelta(seconds=58), Outcome.ERROR: timedelta(seconds=1)}
    assert watched.delay(Outcome.NO_ANSWER, 2) == timedelta(seconds=58)  # still doubling, under a scaled cap
    assert watched.delay(Outcome.NO_ANSWER, 20) == timedelta(seconds=round(24 * 3600 * 0.004))
    assert watched.delay(Outcome.INVALID_NUMBER, 1) is None
    assert DEFAULT_RETRY_POLICY.scaled(1) is DEFAULT_RETRY_POLICY
    with pytest.raises(ValueError):
        DEFAULT_RETRY_POLICY.scaled(0)


def test_answered_but_incomplete_calls_are_retried() -> None:
    """Item 14: a call answered and hung up before every field was collected is tried again for the rest."""
    assert retry_delay(Outcome.PARTIALLY_COLLECTED, 1) == timedelta(hours=2)
    assert retry_delay(Outcome.PARTIALLY_COLLECTED, 3) == timedelta(hours=2)
    assert retry_delay(Outcome.NOTHING_COLLECTED, 1) == timedelta(hours=2)
    assert retry_delay(Outcome.NOTHING_COLLECTED, 2) == timedelta(hours=4)
    assert retry_delay(Outcome.NOTHING_COLLECTED, 9) == timedelta(hours=24)
    assert retry_delay(Outcome.ANSWERED, 1) is None


def test_a_dial_held_back_as_the_circuit_opened_is_due_again_in_30_s_however_often() -> None:
    assert retry_delay(Outcome.NOT_PLACED, 1) == timedelta(seconds=30)
    assert retry_delay(Outcome.NOT_PLACED, 7) == timedelta(seconds=30)  # the open circuit, not this delay, holds it
