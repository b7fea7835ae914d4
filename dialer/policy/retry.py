"""How long to wait before the next attempt, by how the last one ended.

A frozen table with defaults so settings can override single entries (`dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta

from dialer.policy.outcome import NEVER_RETRIED, Outcome

# Beyond this many doublings every sane cap has been reached; bounding the exponent avoids float overflow.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class Backoff:
    """`base * factor ** (attempt_number - 1)`, never more than `cap`. Growing delays must have a cap."""

    base: timedelta
    factor: float = 1.0
    cap: timedelta | None = None

    def __post_init__(self) -> None:
        if self.base <= timedelta(0):
            raise ValueError("a retry delay must be positive")
        if self.factor < 1.0:
            raise ValueError("a retry delay may grow or stay, never shrink (factor >= 1)")
        if self.cap is not None and self.cap < self.base:
            raise ValueError("the cap must be at least the base delay")
        if self.factor > 1.0 and self.cap is None:
            raise ValueError("a growing retry delay needs a cap")

    def delay(self, attempt_number: int) -> timedelta:
        exponent = min(attempt_number - 1, _MAX_EXPONENT)
        seconds = self.base.total_seconds() * self.factor**exponent
        if self.cap is not None:
            seconds = min(seconds, self.cap.total_seconds())
        return timedelta(seconds=round(seconds))


@dataclass(frozen=True)
class RetryPolicy:
    """Retry delay per outcome; `None` entries and answered/invalid_number mean "never again"."""

    busy: Backoff | None = field(default=Backoff(timedelta(minutes=15)))
    no_answer: Backoff | None = field(default=Backoff(timedelta(hours=2), factor=2.0, cap=timedelta(hours=24)))
    voicemail: Backoff | None = field(default=Backoff(timedelta(hours=4), factor=2.0, cap=timedelta(hours=48)))
    declined: Backoff | None = field(default=Backoff(timedelta(hours=24)))
    error: Backoff | None = field(default=Backoff(timedelta(minutes=5), factor=2.0, cap=timedelta(hours=1)))
    # Answered, then the line dropped before every field was collected: the candidate was reached and talked, so
    # try again the same day for the rest; a call that collected nothing waits like an unanswered one.
    partially_collected: Backoff | None = field(default=Backoff(timedelta(hours=2)))
    nothing_collected: Backoff | None = field(default=Backoff(timedelta(hours=2), factor=2.0, cap=timedelta(hours=24)))
    # Nothing rang (no agent was free): soon, backing off while the workers stay away.
    no_agent: Backoff | None = field(default=Backoff(timedelta(seconds=30), factor=2.0, cap=timedelta(minutes=10)))
    # Held back as the circuit opened: due again soon; the open circuit itself keeps it queued until LiveKit is back.
    not_placed: Backoff | None = field(default=Backoff(timedelta(seconds=30)))

    def scaled(self, scale: float) -> RetryPolicy:
        """Every delay (and cap) times `scale`, at least a second each: the sandbox's "time you can watch"
        (DIALER_SANDBOX_RETRY_DELAY_SCALE), so a retry is seen in a minute instead of hours."""
        if not 0 < scale <= 1:
            raise ValueError("a retry delay scale is above 0 and at most 1")
        if scale == 1:
            return self

        def shrink(backoff: Backoff | None) -> Backoff | None:
            if backoff is None:
                return None
            base = max(timedelta(seconds=1), backoff.base * scale)
            cap = None if backoff.cap is None else max(base, backoff.cap * scale)
            return Backoff(base, factor=backoff.factor, cap=cap)

        return RetryPolicy(**{entry.name: shrink(getattr(self, entry.name)) for entry in fields(self)})

    def delay(self, outcome: Outcome, attempt_number: int) -> timedelta | None:
        """Delay after attempt `attempt_number` (1 = the first call) ended with `outcome`; None = never again."""
        if attempt_number < 1:
            raise ValueError("attempt_number starts at 1")
        outcome = Outcome(outcome)
        if outcome in NEVER_RETRIED:
            return None
        backoff: Backoff | None = getattr(self, outcome.value)
        return None if backoff is None else backoff.delay(attempt_number)


DEFAULT_RETRY_POLICY = RetryPolicy()


def retry_delay(outcome: Outcome, attempt_number: int, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> timedelta | None:
    """See `RetryPolicy.delay`."""
    return policy.delay(outcome, attempt_number)
