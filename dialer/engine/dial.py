"""The per-dial task, after the plan's commit: prepare the room and wait for its agent, wait for the CPS slot, place
the SIP request once, and record what happened through the lifecycle.

No agent in the room in time (LiveKit drops a job no worker is free for): the room is deleted, nothing rings, and
the attempt is given back to the queue.

A slot missed by more than a quarter of the CPS guard (a stalled event loop, a slow room set-up) is exchanged for a
fresh one, so any `cap` consecutive requests span at least a second as LiveKit receives them (guard.py). A request
that may have left without an answer (a time-out) is left to the reconciler; nothing is ever re-dialled blindly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from dialer.clock import Clock
from dialer.engine import queue
from dialer.engine.circuit import CircuitBreaker
from dialer.engine.guard import EarnedGuard, tolerance_s
from dialer.engine.lead import PreparationLead
from dialer.engine.leg_status import LegStatuses
from dialer.engine.metrics import DialerMetrics
from dialer.engine.plan import DispatchConfig, PlannedDial
from dialer.lifecycle.calls import end_attempt, give_back_attempt, load_attempt, mark_answered
from dialer.policy import Outcome
from dialer.store.db import Database
from dialer.store.retry import with_retries
from dialer.telephony.base import REQUEST_SENT, AgentUnavailable, DialFailed, Telephony, TelephonyUnavailable
from dialer.telephony.sip_outcomes import TRUNK_NO_RESPONSE_DETAIL, Cancellation, ringing_timeout_cause

log = logging.getLogger(__name__)

Sleeper = Callable[[float], Awaitable[None]]
LEG_STATUS_WAIT_S = 5.0  # a ringing time-out waits this long for the leg's departure webhook (leg_status.py)
Recorder = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class SlotMet:
    slot: datetime
    checked_at: datetime  # when the dial found itself within its tolerance
    late_from: datetime  # its send lateness counts from here: the slot if it slept until it, else the check


class DialPlacer:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        telephony: Telephony,
        config: DispatchConfig,
        sleep: Sleeper = asyncio.sleep,
        circuit: CircuitBreaker | None = None,
        metrics: DialerMetrics | None = None,
        legs: LegStatuses | None = None,
        leg_status_wait_s: float = LEG_STATUS_WAIT_S,
        lead: PreparationLead | None = None,
        guard: EarnedGuard | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._telephony = telephony
        self._config = config
        self._sleep = sleep
        self._circuit = circuit
        self._metrics = metrics
        self._legs = legs
        self._leg_status_wait_s = leg_status_wait_s
        self._lead = lead
        self._guard = guard
        # How long taking a new slot takes (its transaction): the new slot is put that far ahead, or a free trunk's
        # slot "now" would be past by the commit, more than a small guard allows, and the dial would re-slot again.
        self._reslot_lead = PreparationLead()

    async def record(self, dial: PlannedDial, record: Recorder) -> None:
        try:
            # The outcome is known only here: ride out a database restart (up to ~13 s) rather than leave it to the
            # reconciler, which could only call it an error.
            await with_retries(record, what=f"recording call {dial.request.call_id}", attempts=8, base_delay_s=0.1)
        except Exception:
            log.exception("call %s: result not recorded; the reconciler will settle it", dial.request.call_id)

    async def place(self, dial: PlannedDial) -> Recorder | None:
        """Prepare, wait for the slot, place. Returns how to record the result; None leaves it to the reconciler."""
        call_id = dial.request.call_id
        slot: datetime | None = None
        try:
            try:
                await self._telephony.prepare(dial.request)
            except AgentUnavailable as missing:
                return await self._no_agent(dial, missing.detail)
            if self._metrics is not None:
                self._metrics.agents.note_present()
            if self._lead is not None and dial.planned_at is not None:
                self._lead.observe((self._clock.now() - dial.planned_at).total_seconds())
            met = await self._wait_for_slot(dial)
            if met is None:
                return None
            slot = met.slot
            if self._circuit is not None and not self._circuit.may_place(probe=dial.probe):
                log.warning("call %s not placed: the LiveKit circuit opened while it waited; back to the queue", call_id)
                await self._close_room_quietly(dial.request.room_name)
                detail = "held back before it rang: the LiveKit circuit opened while the call waited for its CPS slot"
                return partial(self._record_given_back, dial.attempt_id, detail, Outcome.NOT_PLACED)
            await self._place_timed(dial, met)
        except DialFailed as reported:
            failed = await self._settle_ringing_timeout(dial, reported)
            log.info("call %s attempt ended: %s", call_id, failed.outcome.value)
            self._observe(slot, ok=failed.outcome is not Outcome.ERROR)  # ERROR: the trunk or carrier failed
            await self._close_room_quietly(dial.request.room_name)  # the agent waiting in it is free for the next call
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

    async def _settle_ringing_timeout(self, dial: PlannedDial, failed: DialFailed) -> DialFailed:
        """A ringing time-out from a leg that never rang (last status `dialing`) is a dead trunk: a trunk failure,
        counted against the circuit breaker, not the callee's no answer."""
        if not failed.ringing_timed_out or self._legs is None:
            return failed
        status = await self._legs.last_status(
            dial.request.room_name, dial.request.participant_identity, timeout_s=self._leg_status_wait_s
        )
        if ringing_timeout_cause(status) is not Cancellation.TRUNK_NO_RESPONSE:
            return failed
        log.warning("call %s: the ringing time-out came from a leg that never rang: a trunk failure", dial.request.call_id)
        detail = f"{TRUNK_NO_RESPONSE_DETAIL} (the leg never rang before the ringing time-out)"
        return DialFailed(Outcome.ERROR, sip_status_code=None, detail=detail)
    async def _no_agent(self, dial: PlannedDial, detail: str) -> Recorder:
        log.warning("call %s not placed: %s; back to the queue", dial.request.call_id, detail)
        if dial.probe and self._circuit is not None:
            self._circuit.release_probe()  # nothing rang: the trunk is still untested, so the next call probes it
        if self._metrics is not None:
            self._metrics.agents.note_missing(self._clock.now())
        await self._close_room_quietly(dial.request.room_name)  # the job may still be taken late: end it too
        return partial(self._record_given_back, dial.attempt_id, detail, Outcome.NO_AGENT)

    async def _place_timed(self, dial: PlannedDial, met: SlotMet) -> None:
        """The SIP request, and how late it really left: from its slot if the dial slept until it, else from the
        check (its lateness before that was its preparation's, which the lead learns). That earns the guard
        (guard.py): the event loop may run other work between the check and the socket."""
        sent: list[datetime] = []
        token = REQUEST_SENT.set(lambda: sent.append(self._clock.now()))
        try:
            await self._telephony.place(dial.request)
        finally:
            REQUEST_SENT.reset(token)
            if self._guard is not None:
                left = sent[0] if sent else met.checked_at  # an adapter that cannot tell: the check
                self._guard.observe((left - met.late_from).total_seconds())

    async def _wait_for_slot(self, dial: PlannedDial) -> SlotMet | None:
        """Sleep until the slot; past it by more than a quarter of the guard, take a new one. None: no slot to be
        had (database trouble), so the SIP request does not leave."""
        slot, guard_s = dial.slot_at, dial.guard_s
        while True:
            wait = (slot - self._clock.now()).total_seconds()
            if wait > 0:
                await self._sleep(wait)
            checked_at = self._clock.now()
            late = (checked_at - slot).total_seconds()
            if guard_s <= 0 or late <= tolerance_s(guard_s):
                return SlotMet(slot=slot, checked_at=checked_at, late_from=slot if wait > 0 else checked_at)
            if wait > 0 and self._guard is not None:
                self._guard.observe(late)  # woke too late to send: the send path's lateness too
            log.info("call %s missed its CPS slot by %.0f ms; taking a new one", dial.request.call_id, late * 1000)
            guard_s = self._guard.seconds if self._guard is not None else guard_s
            asked_at = self._clock.now()
            try:
                what = f"re-slotting call {dial.request.call_id}"
                slot = await with_retries(partial(self._new_slot, dial, guard_s, self._reslot_lead.seconds), what=what)
            except Exception:
                log.exception("call %s: no new CPS slot; left for the reconciler", dial.request.call_id)
                return None
            self._reslot_lead.observe((self._clock.now() - asked_at).total_seconds())

    async def _new_slot(self, dial: PlannedDial, guard_s: float, lead_s: float) -> datetime:
        cfg = self._config
        async with self._db.transaction() as session:
            return await queue.take_new_slot(
                session,
                trunk_id=cfg.trunk_id,
                clock=self._clock,
                lead_s=lead_s,
                calls_per_second=cfg.calls_per_second,
                guard_s=guard_s,
                call_id=dial.request.call_id,
                attempt_id=dial.attempt_id,
                lease=cfg.lease,
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
                mark_answered(attempt, call, self._clock.now(), self._config.lease)

    async def _record_given_back(self, attempt_id: str, detail: str, outcome: Outcome) -> None:
        async with self._db.transaction() as session:
            found = await load_attempt(session, attempt_id)
            if found is not None:
                attempt, call = found
                await give_back_attempt(session, attempt, call, at=self._clock.now(), retry=self._config.retry,
                                        detail=detail, outcome=outcome)

    async def _record_end(self, attempt_id: str, outcome: Outcome, sip_status: int | None, detail: str) -> None:
        async with self._db.transaction() as session:
            found = await load_attempt(session, attempt_id)
            if found is not None:
                attempt, call = found
                await end_attempt(
                    session,
                    attempt,
                    call,
                    at=self._clock.now(),
                    outcome=outcome,
                    sip_status_code=sip_status,
                    retry=self._config.retry,
                    detail=detail,
                )
