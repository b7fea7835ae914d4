"""The dispatcher: one transaction decides and records every dial, then the SIP requests leave.

Per run: lock the trunk's budget row, count active calls, claim due calls, ask the calling rules about each, and for
those to dial now write the attempt (state `dialing`, attempt id, CPS slot) and commit. Only after that commit does a
task send the SIP request, at its slot. A crash after the commit leaves a `dialing` row with a lease, which the
reconciler settles by asking LiveKit; nothing is ever re-dialled blindly.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import partial
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer import credentials
from dialer.clock import Clock
from dialer.engine import queue
from dialer.engine.results import add_decision, end_attempt, load_attempt, mark_answered
from dialer.fields import missing_fields
from dialer.policy import Action, CallingWindow, Outcome, RetryPolicy, decide
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.retry import with_retries
from dialer.store.models import Attempt, Batch, Call, Candidate, DoNotCall
from dialer.telephony.base import DialFailed, DialRequest, Telephony, TelephonyUnavailable

log = logging.getLogger("dialer.dispatcher")

Sleeper = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DispatchConfig:
    trunk_id: str
    agent_name: str
    calls_per_second: float
    max_concurrent: int
    window: CallingWindow
    retry: RetryPolicy
    secret: str
    dialer_url: str
    horizon_s: float = 2.0  # plan dials only this far ahead, so a slot never drifts far past its decision
    ringing_timeout_s: int = 30
    max_call_duration_s: int = 600
    lease_s: int = 120
    scan_limit: int = 200  # due calls examined per run (those outside their window are rescheduled)


@dataclass(frozen=True)
class PlannedDial:
    request: DialRequest
    attempt_id: str
    slot_at: datetime


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        telephony: Telephony,
        config: DispatchConfig,
        owner: str,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        self._db = db
        self._clock = clock
        self._telephony = telephony
        self._config = config
        self._owner = owner
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._wake_requested = False
        self.running = False  # wake() only dispatches once the runtime has started us

    # -- waking ---------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Run soon (coalesced): new due work starts dialling without waiting for the next tick."""
        if not self.running:
            return
        self._wake_requested = True
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run_until_quiet())

    async def _run_until_quiet(self) -> None:
        while self._wake_requested and self.running:
            self._wake_requested = False
            try:
                await self.run_once()
            except Exception:
                log.exception("dispatch run failed; the next tick retries")
                return

    async def drain(self) -> None:
        """Wait until every dial started so far has its result recorded (tests, shutdown)."""
        while self._tasks or (self._runner is not None and not self._runner.done()):
            if self._runner is not None and not self._runner.done():
                await self._runner
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        self.running = False
        await self.drain()

    # -- one run --------------------------------------------------------------------------------------------------

    async def run_once(self) -> list[PlannedDial]:
        async with self._lock:
            planned = await self._plan()
        for dial in planned:
            task = asyncio.get_running_loop().create_task(self._dial(dial))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return planned

    async def _plan(self) -> list[PlannedDial]:
        cfg = self._config
        now = self._clock.now()
        planned: list[PlannedDial] = []
        async with self._db.transaction() as session:
            budget = await queue.lock_budget(session, cfg.trunk_id, now)
            room = cfg.max_concurrent - await queue.count_active(session, cfg.trunk_id)
            calls = await queue.claim_due(session, trunk_id=cfg.trunk_id, now=now, limit=cfg.scan_limit)
            if not calls:
                return []
            candidates, batches, blocked = await _context(session, calls)
            slot = max(budget.next_slot_at, now)
            interval = timedelta(seconds=1.0 / cfg.calls_per_second)
            horizon = now + timedelta(seconds=cfg.horizon_s)
            for call in calls:
                candidate = candidates[call.candidate_id]
                batch = batches.get(call.batch_id) if call.batch_id else None
                decision = decide(
                    now=now,
                    candidate_phone=candidate.phone,
                    candidate_tz=candidate.timezone,
                    missing_fields=missing_fields(call.fields_to_ask, candidate.fields),
                    on_dnc=candidate.phone in blocked,
                    attempts_made=call.attempts_made,
                    max_attempts=call.max_attempts,
                    last_outcome=Outcome(call.last_outcome) if call.last_outcome else None,
                    window=cfg.window,
                    not_before=call.not_before,
                    not_after=call.not_after,
                    batch_status=batch.status if batch else "active",
                )
                if decision.action is Action.DIAL:
                    if len(planned) >= room or slot > horizon:
                        continue  # stays due; taken by the next run as slots and lines free up
                    planned.append(self._start_attempt(session, call, candidate, slot, now, decision.reason))
                    slot += interval
                elif decision.action is Action.WAIT:
                    call.next_attempt_at = decision.at  # None parks it (paused batch) until resumed
                    call.updated_at = now
                    add_decision(session, call.id, now, decision.code.value, decision.reason)
                else:
                    call.state = "cancelled" if decision.action is Action.CANCEL else "failed"
                    call.next_attempt_at = None
                    call.updated_at = now
                    add_decision(session, call.id, now, decision.code.value, decision.reason)
            if planned:
                budget.next_slot_at = slot
        if planned:
            log.info("dialling %d call(s) on trunk %s", len(planned), cfg.trunk_id)
        return planned

    def _start_attempt(
        self, session: AsyncSession, call: Call, candidate: Candidate, slot: datetime, now: datetime, reason: str
    ) -> PlannedDial:
        cfg = self._config
        number = call.attempts_made + 1
        attempt_id = new_id("att")
        room_name = f"call-{call.id}-{number}"
        call.state = "dialing"
        call.attempts_made = number
        call.current_attempt_id = attempt_id
        call.room_name = room_name
        call.next_attempt_at = None
        call.lease_owner = self._owner
        call.lease_expires_at = slot + timedelta(seconds=cfg.ringing_timeout_s + cfg.lease_s)
        call.updated_at = now
        session.add(Attempt(id=attempt_id, call_id=call.id, number=number, started_at=slot, report_sent=False))
        add_decision(session, call.id, now, "dial", f"attempt {number}: {reason}")
        ttl = timedelta(seconds=cfg.ringing_timeout_s + cfg.max_call_duration_s + 600)
        token = credentials.issue(credentials.Scope("call", call.id), secret=cfg.secret, now=now, ttl=ttl)
        metadata = {
            "mode": "gap_filling",
            "call_id": call.id,
            "attempt_id": attempt_id,
            "candidate_id": candidate.id,
            "token": token,
            "dialer_url": cfg.dialer_url,
        }
        identity = f"callee-{call.id}"
        request = DialRequest(
            call_id=call.id,
            attempt_id=attempt_id,
            room_name=room_name,
            phone_e164=candidate.phone,
            trunk_id=cfg.trunk_id,
            agent_name=cfg.agent_name,
            agent_metadata=json.dumps(metadata),
            participant_identity=identity,
            participant_name=candidate.name,
            participant_attributes={"dialer.mode": "gap_filling", "dialer.call_id": call.id},
            ringing_timeout_s=cfg.ringing_timeout_s,
            max_call_duration_s=cfg.max_call_duration_s,
        )
        return PlannedDial(request=request, attempt_id=attempt_id, slot_at=slot)

    # -- the SIP request, after the commit --------------------------------------------------------------------------

    async def _dial(self, dial: PlannedDial) -> None:
        wait = (dial.slot_at - self._clock.now()).total_seconds()
        if wait > 0:
            await self._sleep(wait)
        call_id = dial.request.call_id
        try:
            await self._telephony.dial(dial.request)
        except DialFailed as failed:
            log.info("call %s attempt ended: %s", call_id, failed.outcome.value)
            record = partial(self._record_end, dial.attempt_id, failed.outcome, failed.sip_status_code, failed.detail)
        except TelephonyUnavailable as unavailable:
            if unavailable.maybe_placed:
                log.warning("call %s: %s; left for the reconciler", call_id, unavailable.detail)
                return
            log.warning("call %s not placed: %s", call_id, unavailable.detail)
            record = partial(self._record_end, dial.attempt_id, Outcome.ERROR, None, unavailable.detail)
        except Exception:
            log.exception("call %s: unexpected dial error; left for the reconciler", call_id)
            return
        else:
            record = partial(self._record_answer, dial.attempt_id)
        finally:
            self.wake()  # a line and a slot may have freed up
        try:
            await with_retries(record, what=f"recording call {call_id}")
        except Exception:
            log.exception("call %s: result not recorded; the reconciler will settle it", call_id)

    async def _record_answer(self, attempt_id: str) -> None:
        async with self._db.transaction() as session:
            found = await load_attempt(session, attempt_id)
            if found is not None:
                attempt, call = found
                mark_answered(attempt, call, self._clock.now())
                call.lease_expires_at = self._clock.now() + timedelta(
                    seconds=self._config.max_call_duration_s + self._config.lease_s
                )

    async def _record_end(self, attempt_id: str, outcome: Outcome, sip_status: int | None, detail: str) -> None:
        async with self._db.transaction() as session:
            found = await load_attempt(session, attempt_id)
            if found is not None:
                attempt, call = found
                end_attempt(
                    session,
                    attempt,
                    call,
                    at=self._clock.now(),
                    outcome=outcome,
                    sip_status_code=sip_status,
                    retry=self._config.retry,
                    detail=detail,
                )


async def _context(
    session: AsyncSession, calls: Sequence[Call]
) -> tuple[dict[str, Candidate], dict[str, Batch], set[str]]:
    candidate_ids = {c.candidate_id for c in calls}
    batch_ids = {c.batch_id for c in calls if c.batch_id}
    candidates = {c.id: c for c in await session.scalars(select(Candidate).where(Candidate.id.in_(candidate_ids)))}
    batches = {b.id: b for b in await session.scalars(select(Batch).where(Batch.id.in_(batch_ids)))} if batch_ids else {}
    phones = {c.phone for c in candidates.values()}
    blocked = set(await session.scalars(select(DoNotCall.phone).where(DoNotCall.phone.in_(phones))))
    return candidates, batches, blocked
