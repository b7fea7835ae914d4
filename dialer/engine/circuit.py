"""The circuit breaker: stop dialling while LiveKit or the trunk keeps failing, then probe with one call.

A pure state machine (no I/O; time from an injected clock) so every transition is tested exactly:

    closed ──N consecutive failures──> open ──cool-down elapsed──> half_open
    half_open ──probe succeeds──> closed        half_open ──probe fails──> open (a new cool-down)

While open nothing is claimed, so calls stay queued instead of burning attempts against a dead provider. In
half-open exactly one dial (the probe) is let through; if its result never comes back (the task died), another
probe is allowed after `probe_timeout`. A probe that never reached the trunk (no agent took its room's job, so nothing
rang) proves nothing either way: it is released, and the next dial probes at once. The breaker is per instance: each
instance observes LiveKit for itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from dialer.clock import Clock


class CircuitState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class CircuitSnapshot:
    state: CircuitState
    consecutive_failures: int
    opened_at: datetime | None
    retry_at: datetime | None  # when an open circuit lets a probe through
    times_opened: int

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "consecutive_failures": self.consecutive_failures,
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "times_opened": self.times_opened,
        }


class CircuitBreaker:
    def __init__(
        self, *, clock: Clock, failure_threshold: int, cooldown: timedelta, probe_timeout: timedelta | None = None
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown <= timedelta(0):
            raise ValueError("cooldown must be positive")
        self._clock = clock
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._probe_timeout = probe_timeout or cooldown
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at: datetime | None = None
        self._probe_started_at: datetime | None = None
        self.times_opened = 0

    @property
    def state(self) -> CircuitState:
        """The state now: an open circuit whose cool-down has passed reads as half-open."""
        if self._state is CircuitState.OPEN and self._opened_at is not None:
            if self._clock.now() >= self._opened_at + self._cooldown:
                self._state = CircuitState.HALF_OPEN
                self._probe_started_at = None
        return self._state

    def allowance(self) -> int | None:
        """How many new dials may start now: None (no limit) when closed, 1 for the probe, 0 otherwise."""
        state = self.state
        if state is CircuitState.CLOSED:
            return None
        if state is CircuitState.OPEN:
            return 0
        if self._probe_started_at is not None and self._clock.now() < self._probe_started_at + self._probe_timeout:
            return 0  # the probe is still out
        return 1

    def probe_started(self) -> None:
        if self.state is CircuitState.HALF_OPEN:
            self._probe_started_at = self._clock.now()

    def release_probe(self) -> None:
        """The probe ended without testing LiveKit's SIP side or the trunk: neither a success nor a failure, so the
        circuit stays half-open and lets the next probe through now rather than after `probe_timeout`."""
        if self.state is CircuitState.HALF_OPEN:
            self._probe_started_at = None

    def may_place(self, *, probe: bool) -> bool:
        """At the moment of sending: a dial planned while closed is held back once the circuit has opened."""
        state = self.state
        return state is CircuitState.CLOSED or (probe and state is CircuitState.HALF_OPEN)

    def record_success(self) -> None:
        """LiveKit and the trunk did their job (any SIP outcome but a failure of the trunk itself)."""
        if self.state is CircuitState.OPEN:
            return  # a straggler from before the circuit opened proves nothing about now
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = None
        self._probe_started_at = None

    def record_failure(self) -> None:
        state = self.state
        if state is CircuitState.OPEN:
            return
        self._failures += 1
        if state is CircuitState.HALF_OPEN or self._failures >= self._threshold:
            self._open()

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock.now()
        self._probe_started_at = None
        self.times_opened += 1

    def snapshot(self) -> CircuitSnapshot:
        state = self.state
        retry_at = self._opened_at + self._cooldown if state is CircuitState.OPEN and self._opened_at else None
        return CircuitSnapshot(
            state=state,
            consecutive_failures=self._failures,
            opened_at=self._opened_at if state is not CircuitState.CLOSED else None,
            retry_at=retry_at,
            times_opened=self.times_opened,
        )
