"""Settles calls whose lease ran out in `dialing` or `in_call` (a dead instance, a lost webhook, a timed-out request).

It asks LiveKit whether the room and the callee are still there and records the outcome from that. It never dials:
a stuck attempt is ended (and retried later by the normal rules) only once LiveKit shows no trace of the callee.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from dialer.clock import Clock
from dialer.engine.results import end_attempt, load_attempt, mark_answered
from dialer.policy import Outcome, RetryPolicy
from dialer.store.db import Database
from dialer.store.models import Call
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger("dialer.reconciler")


@dataclass(frozen=True)
class _Stuck:
    call_id: str
    attempt_id: str
    room_name: str


class Reconciler:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        telephony: Telephony,
        retry: RetryPolicy,
        owner: str,
        lease_s: int,
        ringing_timeout_s: int,
        max_call_duration_s: int,
    ) -> None:
        self._db = db
        self._clock = clock
        self._telephony = telephony
        self._retry = retry
        self._owner = owner
        self._lease = timedelta(seconds=lease_s)
        self._ringing = timedelta(seconds=ringing_timeout_s)
        self._max_duration = timedelta(seconds=max_call_duration_s)

    async def run_once(self, limit: int = 50) -> int:
        """Returns how many stuck attempts were settled (ended or confirmed live)."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            calls = list(
                await session.scalars(
                    select(Call)
                    .where(Call.state.in_(("dialing", "in_call")), Call.lease_expires_at < now)
                    .order_by(Call.lease_expires_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            stuck = []
            for call in calls:
                call.lease_owner = self._owner
                call.lease_expires_at = now + self._lease  # ours while we ask LiveKit
                if call.current_attempt_id and call.room_name:
                    stuck.append(_Stuck(call.id, call.current_attempt_id, call.room_name))
        settled = 0
        for item in stuck:
            try:
                state = await self._telephony.room_state(item.room_name, f"callee-{item.call_id}")
            except TelephonyUnavailable as exc:
                log.warning("reconcile of call %s postponed: %s", item.call_id, exc.detail)
                continue
            now = self._clock.now()
            async with self._db.transaction() as session:
                found = await load_attempt(session, item.attempt_id)
                if found is None:
                    continue
                attempt, call = found
                if attempt.ended_at is not None:
                    continue
                settled += 1
                if state.callee_present and state.callee_call_status in (None, "active"):
                    mark_answered(attempt, call, now)
                    call.lease_expires_at = now + self._max_duration + self._lease
                elif state.callee_present and state.callee_call_status in ("dialing", "ringing", "automation"):
                    call.lease_expires_at = now + self._ringing + self._lease
                else:
                    outcome = None if attempt.answered_at else Outcome.ERROR
                    end_attempt(
                        session, attempt, call, at=now, outcome=outcome, sip_status_code=None, retry=self._retry,
                        detail="reconciled: LiveKit has no trace of the callee",
                    )
                    log.info("call %s attempt %d settled by reconciliation", call.id, attempt.number)
        return settled
