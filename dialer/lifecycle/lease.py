"""How long a call in `dialing` or `in_call` is held before the reconciler may look at it: the rules in one place.

A lease that runs out means nobody has reported on the attempt in time (a dead instance, a lost webhook); the
reconciler then asks LiveKit. Each rule is the longest the phase can legitimately last, plus `grace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LeaseRules:
    ringing_timeout_s: int
    max_call_duration_s: int
    grace_s: int  # DIALER_DIAL_LEASE_S

    @property
    def _grace(self) -> timedelta:
        return timedelta(seconds=self.grace_s)

    def dialing_until(self, slot: datetime) -> datetime:
        """From the CPS slot: the phone rings at most the ringing timeout."""
        return slot + timedelta(seconds=self.ringing_timeout_s) + self._grace

    def ringing_until(self, now: datetime) -> datetime:
        """LiveKit still shows the callee ringing: another ringing timeout."""
        return self.dialing_until(now)

    def answered_until(self, at: datetime) -> datetime:
        """Answered: the call lasts at most the maximum call duration."""
        return at + timedelta(seconds=self.max_call_duration_s) + self._grace

    def web_until(self, now: datetime, token_ttl: timedelta) -> datetime:
        """A browser call: the join token's life, then the maximum call duration."""
        return now + token_ttl + timedelta(seconds=self.max_call_duration_s)

    def held_until(self, now: datetime) -> datetime:
        """The reconciler's own hold while it asks LiveKit."""
        return now + self._grace
