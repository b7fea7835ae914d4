"""The dispatcher: one transaction decides and records every dial, then the SIP requests leave.

Per run: lock the trunk's budget row, count active calls, claim due calls, ask the calling rules about each, and for
those to dial now write the attempt (state `dialing`, attempt id, CPS slot) and commit. Only after that commit does a
task send the SIP request, at its slot. A crash after the commit leaves a `dialing` row with a lease, which the
reconciler settles by asking LiveKit; nothing is ever re-dialled blindly.

The room and agent dispatch are prepared ahead; the SIP request leaves at its slot. Slots are (1 s + guard) / CPS
apart, and a SIP request that cannot leave within guard / 4 of its slot (a stalled event loop, a slow room set-up)
takes a fresh slot instead. So any `cap` consecutive requests span at least a second as LiveKit receives them, across
every instance sharing the budget row, as long as the way from that check to LiveKit (the rest of the client, the
network) varies by less than 3/4 of the guard. The circuit breaker stops claiming while LiveKit or the trunk keeps
failing, and holds back planned dials once it opens.
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
from dialer.engine.circuit import CircuitBreaker
from dialer.engine.metrics import DialerMetrics
from dialer.engine.results import add_decision, end_attempt, load_attempt, mark_answered
from dialer.fields import missing_fields
from dialer.policy import DEFAULT_HOLIDAYS, Action, CallingWindow, HolidayCalendar, Outcome, RetryPolicy, decide
from dialer.policy.local_rules import CAP_PERIOD, callee_rules
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.retry import with_retries
from dialer.store.models import Attempt, Batch, Call, Candidate, DoNotCall
from dialer.telephony.base import DialFailed, DialRequest, Telephony, TelephonyUnavailable

log = logging.getLogger("dialer.dispatcher")

Sleeper = Callable[[float], Awaitable[None]]
Recorder = Callable[[], Awaitable[None]]


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
    tick_s: float = 2.0  # APScheduler's tick; a call due sooner than the next tick gets a wake-up of its own
    cps_guard_s: float = 0.1  # added to each second of CPS slots; a request later than a quarter of it is re-slotted
    holidays: HolidayCalendar = DEFAULT_HOLIDAYS  # for states that forbid calls on holidays
    consent_required: bool = False  # dial only candidates with prior express consent on record

    @property
    def slot_interval(self) -> timedelta:
        return timedelta(seconds=(1.0 + self.cps_guard_s) / self.calls_per_second)


@dataclass(frozen=True)
class PlannedDial:
    request: DialRequest
    attempt_id: str
    slot_at: datetime
    probe: bool = False  # the one dial a half-open circuit lets through


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
        circuit: CircuitBreaker | None = None,
        metrics: DialerMetrics | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._telephony = telephony
        self._config = config
        self._owner = owner
        self._sleep = sleep
        self._circuit = circuit
        self._metrics = metrics
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._wake_requested = False
        self._timer: asyncio.TimerHandle | None = None
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
        await self._wake_when_next_due()

    async def _wake_when_next_due(self) -> None:
        """Quiet now: if the next call falls due before the next tick, wake for it then (a retry, a not_before)."""
        async with self._db.transaction() as session:
            next_due = await queue.next_due_at(session, trunk_id=self._config.trunk_id)
        if next_due is None or not self.running:
            return
        delay = (next_due - self._clock.now()).total_seconds()
        if 0 < delay < self._config.tick_s:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(delay, self.wake)

    async def drain(self) -> None:
        """Wait until every dial started so far has its result recorded (tests, shutdown)."""
        while self._tasks or (self._runner is not None and not self._runner.done()):
            if self._runner is not None and not self._runner.done():
                await self._runner
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
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
        allowance = self._circuit.allowance() if self._circuit is not None else None
        if allowance == 0:
            return []  # circuit open: leave the calls queued rather than burn attempts against a failing LiveKit
        now = self._clock.now()
        planned: list[PlannedDial] = []
        async with self._db.transaction() as session:
            budget = await queue.lock_budget(session, cfg.trunk_id, now)
            room = cfg.max_concurrent - await queue.count_active(session, cfg.trunk_id)
            slot = max(budget.next_slot_at, now)
            horizon = now + timedelta(seconds=cfg.horizon_s)
            if room <= 0 or slot > horizon:
                return []  # every line or every slot in the horizon is taken (by any instance): claim nothing
            interval = cfg.slot_interval
            free_slots = int((horizon - slot) / interval) + 1
            # Claim no more than can be dialled now: with several instances most runs find only a few free slots,
            # and loading and deciding on rows they cannot dial would only cost CPU (and timing jitter).
            limit = min(cfg.scan_limit, room, free_slots, allowance if allowance is not None else cfg.scan_limit)
            calls = await queue.claim_due(session, trunk_id=cfg.trunk_id, now=now, limit=limit)
            if not calls:
                return []
            candidates, batches, blocked, recent = await _context(session, calls, since=now - CAP_PERIOD)
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
                    candidate_state=candidate.state,
                    recent_dials=recent.get(candidate.phone, ()),
                    holidays=cfg.holidays,
                    consent=candidate.consent(),
                    consent_required=cfg.consent_required,
                    number_flagged=candidate.wrong_number is not None and candidate.wrong_number == candidate.phone,
                )
                if decision.action is Action.DIAL:
                    if len(planned) >= room or slot > horizon or (allowance is not None and len(planned) >= allowance):
                        continue  # stays due; taken by the next run as slots and lines free up
                    probe = allowance is not None
                    planned.append(self._start_attempt(session, call, candidate, slot, now, decision.reason, probe=probe))
                    recent.setdefault(candidate.phone, []).append(slot)  # counts toward a state's cap in this run
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
        if len(planned) < len(calls):
            self.wake()  # some were rescheduled or closed instead: more due calls may wait behind them
        if planned:
            log.info("dialling %d call(s) on trunk %s", len(planned), cfg.trunk_id)
            if allowance is not None and self._circuit is not None:
                self._circuit.probe_started()
                log.warning("circuit half-open: call %s is the probe", planned[0].request.call_id)
        return planned

    def _start_attempt(
        self,
        session: AsyncSession,
        call: Call,
        candidate: Candidate,
        slot: datetime,
        now: datetime,
        reason: str,
        *,
        probe: bool = False,
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
        return PlannedDial(request=request, attempt_id=attempt_id, slot_at=slot, probe=probe)

    # -- the SIP request, after the commit --------------------------------------------------------------------------

    async def _dial(self, dial: PlannedDial) -> None:
        call_id = dial.request.call_id
        try:
            record = await self._attempt(dial)
        finally:
            self.wake()  # a line and a slot may have freed up
        if record is None:
            return
        try:
            # The outcome is known only here: ride out a database restart (up to ~13 s) rather than leave it to the
            # reconciler, which could only call it an error.
            await with_retries(record, what=f"recording call {call_id}", attempts=8, base_delay_s=0.1)
        except Exception:
            log.exception("call %s: result not recorded; the reconciler will settle it", call_id)

    async def _attempt(self, dial: PlannedDial) -> Recorder | None:
        """Prepare, wait for the slot, place. Returns how to record the result; None leaves it to the reconciler."""
        call_id = dial.request.call_id
        slot: datetime | None = None
        try:
            await self._telephony.prepare(dial.request)
            slot = await self._wait_for_slot(dial)
            if slot is None:
                return None
            if self._circuit is not None and not self._circuit.may_place(probe=dial.probe):
                log.warning("call %s not placed: the LiveKit circuit opened while it waited", call_id)
                await self._close_room_quietly(dial.request.room_name)
                detail = "not placed: LiveKit circuit open"
                return partial(self._record_end, dial.attempt_id, Outcome.ERROR, None, detail)
            await self._telephony.place(dial.request)
        except DialFailed as failed:
            log.info("call %s attempt ended: %s", call_id, failed.outcome.value)
            self._observe(slot, ok=failed.outcome is not Outcome.ERROR)  # ERROR: the trunk or carrier failed
            return partial(self._record_end, dial.attempt_id, failed.outcome, failed.sip_status_code, failed.detail)
        except TelephonyUnavailable as unavailable:
            self._observe(None, ok=False)
            if unavailable.maybe_placed:
                log.warning("call %s: %s; left for the reconciler", call_id, unavailable.detail)
                return None
            log.warning("call %s not placed: %s", call_id, unavailable.detail)
            return partial(self._record_end, dial.attempt_id, Outcome.ERROR, None, unavailable.detail)
        except Exception:
            log.exception("call %s: unexpected dial error; left for the reconciler", call_id)
            return None
        self._observe(slot, ok=True)
        return partial(self._record_answer, dial.attempt_id)

    async def _wait_for_slot(self, dial: PlannedDial) -> datetime | None:
        """Sleep until the slot; past it by more than guard / 4, take a new one. None: no slot to be had (database
        trouble), so the SIP request does not leave."""
        slot = dial.slot_at
        guard = self._config.cps_guard_s
        while True:
            wait = (slot - self._clock.now()).total_seconds()
            if wait > 0:
                await self._sleep(wait)
            late = (self._clock.now() - slot).total_seconds()
            if guard <= 0 or late <= guard / 4:
                return slot
            log.info("call %s missed its CPS slot by %.0f ms; taking a new one", dial.request.call_id, late * 1000)
            try:
                what = f"re-slotting call {dial.request.call_id}"
                slot = await with_retries(partial(self._new_slot, dial), what=what)
            except Exception:
                log.exception("call %s: no new CPS slot; left for the reconciler", dial.request.call_id)
                return None

    async def _new_slot(self, dial: PlannedDial) -> datetime:
        cfg = self._config
        async with self._db.transaction() as session:
            return await queue.take_new_slot(
                session,
                trunk_id=cfg.trunk_id,
                now=self._clock.now(),
                interval=cfg.slot_interval,
                call_id=dial.request.call_id,
                attempt_id=dial.attempt_id,
                lease=timedelta(seconds=cfg.ringing_timeout_s + cfg.lease_s),
            )

    def _observe(self, slot: datetime | None, *, ok: bool) -> None:
        if self._circuit is not None:
            if ok:
                self._circuit.record_success()
            else:
                self._circuit.record_failure()
        if self._metrics is not None and slot is not None:
            self._metrics.observe_dial((self._clock.now() - slot).total_seconds())

    async def _close_room_quietly(self, room_name: str) -> None:
        try:
            await self._telephony.end_room(room_name)
        except TelephonyUnavailable:
            pass  # the room's empty_timeout closes it anyway

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
    session: AsyncSession, calls: Sequence[Call], *, since: datetime
) -> tuple[dict[str, Candidate], dict[str, Batch], set[str], dict[str, list[datetime]]]:
    """The claimed calls' candidates and batches, the numbers on do-not-call, and the dials since `since` to each
    number in a state that caps calls per 24 hours to the same person (only those: the query has a cost)."""
    candidate_ids = {c.candidate_id for c in calls}
    batch_ids = {c.batch_id for c in calls if c.batch_id}
    candidates = {c.id: c for c in await session.scalars(select(Candidate).where(Candidate.id.in_(candidate_ids)))}
    batches = {b.id: b for b in await session.scalars(select(Batch).where(Batch.id.in_(batch_ids)))} if batch_ids else {}
    phones = {c.phone for c in candidates.values()}
    blocked = set(await session.scalars(select(DoNotCall.phone).where(DoNotCall.phone.in_(phones))))
    recent: dict[str, list[datetime]] = {}
    capped = {c.phone for c in candidates.values() if callee_rules(c.phone, c.state).max_calls_per_24h is not None}
    if not capped:
        return candidates, batches, blocked, recent
    dials = await session.execute(
        select(Candidate.phone, Attempt.started_at)
        .join(Call, Call.candidate_id == Candidate.id)
        .join(Attempt, Attempt.call_id == Call.id)
        .where(Candidate.phone.in_(capped), Attempt.started_at > since)
    )
    for phone, started_at in dials.all():
        recent.setdefault(phone, []).append(started_at)
    return candidates, batches, blocked, recent
