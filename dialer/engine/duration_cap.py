"""The dialer's own maximum call duration: an answered call's room is ended at answer + DIALER_MAX_CALL_DURATION_S.

livekit/sip v1.8.0's `max_call_duration` bounds only the dialling (measured on the stage: an answered call is never
cut), so the dialer ends the room itself (DeleteRoom), records why in the call's decisions, and closes the attempt
as answered. Durable: every run reads the answered calls from the database, so a restart loses nothing. The
scheduler runs it beside the reconciler; after each run one wake-up is set for the next call to reach its cap, so a
cap is kept to the second rather than to the scheduler's interval (the wake-up is only a shortcut: the next scheduled
run would find the call anyway).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from dialer.clock import Clock
from dialer.lifecycle import CallState
from dialer.lifecycle.calls import end_attempt, load_attempt, note_duration_cap
from dialer.policy import RetryPolicy
from dialer.store.db import Database
from dialer.store.models import Attempt, Call
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Answered:
    attempt_id: str
    room_name: str
    cap_at: datetime


class DurationCap:
    def __init__(
        self, *, db: Database, clock: Clock, telephony: Telephony, retry: RetryPolicy, max_call_duration_s: int,
        limit: int = 100,
    ) -> None:
        self._db = db
        self._clock = clock
        self._telephony = telephony
        self._retry = retry
        self._max = timedelta(seconds=max_call_duration_s)
        self._limit = limit
        self._lock = asyncio.Lock()
        self._wakeup: asyncio.TimerHandle | None = None
        self.next_cap_at: datetime | None = None  # the earliest cap still to come, as of the last run

    async def run_once(self) -> int:
        """Ends every answered call past its cap; returns how many rooms it ended."""
        async with self._lock:
            now = self._clock.now()
            answered = await self._answered_calls()
            due = [a for a in answered if a.cap_at <= now]
            upcoming = [a.cap_at for a in answered if a.cap_at > now]
            self.next_cap_at = min(upcoming) if upcoming else None
            ended = 0
            for call in due:
                ended += await self._end(call)
            return ended

    async def _answered_calls(self) -> list[_Answered]:
        async with self._db.transaction() as session:
            rows = await session.execute(
                select(Attempt.id, Call.room_name, Attempt.answered_at)
                .join(Call, Call.current_attempt_id == Attempt.id)
                .where(Call.state == CallState.IN_CALL.value, Attempt.answered_at.is_not(None),
                       Attempt.ended_at.is_(None), Call.room_name.is_not(None))
                .order_by(Attempt.answered_at)
                .limit(self._limit)
            )
            return [
                _Answered(attempt_id, room, answered_at + self._max)
                for attempt_id, room, answered_at in rows
                if room is not None and answered_at is not None  # as the query asks: for the type checker
            ]

    async def _end(self, due: _Answered) -> int:
        async with self._db.transaction() as session:
            found = await load_attempt(session, due.attempt_id)
            if found is None or found[0].ended_at is not None:
                return 0
            attempt, call = found
            await note_duration_cap(session, call, attempt, at=self._clock.now(), max_s=int(self._max.total_seconds()))
        try:
            await self._telephony.end_room(due.room_name)
        except TelephonyUnavailable as exc:
            log.warning("call %s at its maximum duration: room not ended yet (%s); next run retries", call.id, exc.detail)
            return 0
        async with self._db.transaction() as session:
            found = await load_attempt(session, due.attempt_id)
            if found is not None:
                attempt, call = found
                await end_attempt(
                    session, attempt, call, at=self._clock.now(), outcome=None, sip_status_code=None,
                    retry=self._retry, detail="the dialer ended the room at the maximum call duration",
                )
        log.info("call %s ended at the maximum call duration", call.id)
        return 1

    def wake_at_next_cap(self, loop: asyncio.AbstractEventLoop) -> None:
        """One wake-up at the next cap (replacing the last); the scheduler's runs remain the durable path."""
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        if self.next_cap_at is None:
            return
        delay = max(0.0, (self.next_cap_at - self._clock.now()).total_seconds())
        self._wakeup = loop.call_later(delay, lambda: asyncio.ensure_future(self.run_and_rearm()))

    async def run_and_rearm(self) -> int:
        """A run, then the wake-up for the next cap (what the scheduler calls)."""
        try:
            return await self.run_once()
        finally:
            self.wake_at_next_cap(asyncio.get_running_loop())

    def stop(self) -> None:
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
