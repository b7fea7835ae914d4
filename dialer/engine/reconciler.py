"""Settles calls whose lease ran out in `dialing` or `in_call` (a dead instance, a lost webhook, a timed-out request).

It asks LiveKit whether the room and the callee are still there and records the outcome from that. It never dials:
a stuck attempt is ended (and retried later by the normal rules) only once LiveKit shows no trace of the callee.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dialer import agent_dispatch
from dialer.clock import Clock
from dialer.lifecycle import LeaseRules, counts
from dialer.lifecycle.calls import claim_expired, end_attempt, keep_ringing, load_attempt, mark_answered
from dialer.policy import Outcome, RetryPolicy
from dialer.store.db import Database
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger(__name__)


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
        self._lease = LeaseRules(ringing_timeout_s, max_call_duration_s, lease_s)

    async def run_once(self, limit: int = 50) -> int:
        """Returns how many stuck attempts were settled (ended or confirmed live)."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            await counts.fold(session)  # the kept counts' rows since the last run become one per state
        async with self._db.transaction() as session:
            calls = await claim_expired(session, now=now, owner=self._owner, lease=self._lease, limit=limit)
            stuck = []
            for call in calls:  # ours while we ask LiveKit
                if call.current_attempt_id and call.room_name:
                    stuck.append(_Stuck(call.id, call.current_attempt_id, call.room_name))
        settled = 0
        for item in stuck:
            try:
                state = await self._telephony.room_state(item.room_name, agent_dispatch.callee_identity(item.call_id))
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
                    mark_answered(attempt, call, now, self._lease)
                elif state.callee_present and state.callee_call_status in ("dialing", "ringing", "automation"):
                    keep_ringing(call, now, self._lease)
                else:
                    outcome = None if attempt.answered_at else Outcome.ERROR
                    await end_attempt(
                        session, attempt, call, at=now, outcome=outcome, sip_status_code=None, retry=self._retry,
                        detail="reconciled: LiveKit has no trace of the callee",
                    )
                    log.info("call %s attempt %d settled by reconciliation", call.id, attempt.number)
        return settled
