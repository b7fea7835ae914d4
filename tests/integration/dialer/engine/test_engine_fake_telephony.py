"""The dispatcher and the reconciler with a fake Telephony: the engine's own rules, on SQLite and PostgreSQL,
without a LiveKit server or an API in between (those are tested end to end in the other engine tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from dialer.caller_identity import CallerIdentity
from dialer.clock import ManualClock
from dialer.engine.circuit import CircuitBreaker
from dialer.engine.dispatcher import DispatchConfig, Dispatcher
from dialer.engine.reconciler import Reconciler
from dialer.lifecycle import CallState
from dialer.lifecycle.calls import end_attempt, load_attempt
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow, Outcome
from dialer.services.batches import BatchInput, BatchService
from dialer.services.candidates import CandidateInput, CandidateService
from dialer.store.db import Database
from dialer.store.models import Attempt, Call, Decision
from dialer.telephony.base import DialRequest, RoomState
from dialer_testing.telephony import FakeTelephony

ANSWERS = "+12125550100"
BUSY = "+12125550110"
LEASE_S, RINGING_S, MAX_DURATION_S = 120, 30, 600


@dataclass
class Engine:
    db: Database
    clock: ManualClock
    telephony: FakeTelephony
    dispatcher: Dispatcher
    reconciler: Reconciler

    async def batch(self, *phones: str) -> str:
        candidates = CandidateService(db=self.db, clock=self.clock, default_region="US")
        ids = []
        for index, phone in enumerate(phones):
            candidate, _ = await candidates.upsert(
                CandidateInput(external_id=f"c{index}", name="Test", phone=phone, required_fields=["start_date"])
            )
            ids.append(candidate.id)
        batches = BatchService(
            db=self.db, clock=self.clock, trunk_id="ST_test", default_max_attempts=3, wake=lambda: None,
            caller_defaults=CallerIdentity(company="Acme Recruiting", callback_number="+12125550199"), region="US",
        )
        view, _ = await batches.create(BatchInput(candidate_ids=ids))
        return view.batch.id

    async def dispatch(self) -> None:
        await self.dispatcher.run_once()
        await self.dispatcher.drain()

    async def calls(self) -> list[tuple[Call, list[Attempt], list[str]]]:
        async with self.db.transaction() as session:
            calls = list(await session.scalars(select(Call).order_by(Call.id)))
            result = []
            for call in calls:
                attempts = list(await session.scalars(select(Attempt).where(Attempt.call_id == call.id).order_by(Attempt.number)))
                codes = list(await session.scalars(select(Decision.code).where(Decision.call_id == call.id).order_by(Decision.id)))
                result.append((call, attempts, codes))
        return result


CONFIG = DispatchConfig(
    trunk_id="ST_test", agent_name="dialer-agent", calls_per_second=100.0, max_concurrent=2,
    window=CallingWindow(), retry=DEFAULT_RETRY_POLICY,
    secret="test-secret-key-0123456789", dialer_url="http://127.0.0.1:8000",
    ringing_timeout_s=RINGING_S, max_call_duration_s=MAX_DURATION_S, lease_s=LEASE_S, cps_guard_min_s=0.0, cps_guard_max_s=0.0,
)


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def engine(database: Database, clock: ManualClock) -> AsyncIterator[Engine]:
    telephony = FakeTelephony()
    config = CONFIG
    dispatcher = Dispatcher(db=database, clock=clock, telephony=telephony, config=config, owner="me", sleep=no_sleep)
    reconciler = Reconciler(db=database, clock=clock, telephony=telephony, retry=DEFAULT_RETRY_POLICY, owner="me",
                            lease_s=LEASE_S, ringing_timeout_s=RINGING_S, max_call_duration_s=MAX_DURATION_S)
    yield Engine(database, clock, telephony, dispatcher, reconciler)
    await dispatcher.stop()


async def test_the_attempt_is_committed_before_the_sip_request_leaves(engine: Engine) -> None:
    seen: list[tuple[str, int]] = []

    async def look(request: DialRequest) -> None:
        async with engine.db.transaction() as session:  # another transaction: sees only what was committed
            call = await session.get(Call, request.call_id)
            attempts = await session.scalars(select(Attempt).where(Attempt.id == request.attempt_id))
            assert call is not None
            seen.append((call.state, len(list(attempts))))

    engine.telephony.on_place = look
    await engine.batch(ANSWERS)
    await engine.dispatch()
    assert seen == [("dialing", 1)]
    ((call, attempts, codes),) = await engine.calls()
    assert call.state == CallState.IN_CALL and attempts[0].answered_at == engine.clock.now()
    assert codes == ["dial"]
    # Answered: held for the longest a call may last, not the ringing lease.
    assert call.lease_expires_at == engine.clock.now() + timedelta(seconds=MAX_DURATION_S + LEASE_S)
    (request,) = engine.telephony.placed
    assert request.room_name == f"call-{call.id}-1" and request.participant_identity == f"callee-{call.id}"
    assert request.participant_attributes == {"dialer.mode": "gap_filling", "dialer.call_id": call.id}


async def test_busy_schedules_a_retry_with_its_decision(engine: Engine) -> None:
    engine.telephony.fails(BUSY, Outcome.BUSY, 486)
    await engine.batch(BUSY)
    await engine.dispatch()
    ((call, attempts, codes),) = await engine.calls()
    assert call.state == CallState.SCHEDULED and call.lease_expires_at is None
    assert call.next_attempt_at == engine.clock.now() + timedelta(minutes=15)
    assert (attempts[0].outcome, attempts[0].sip_status_code) == ("busy", 486)
    assert codes == ["dial", "retry"]


async def test_the_concurrency_cap_holds_and_the_rest_stay_due(engine: Engine) -> None:
    await engine.batch(ANSWERS, "+12125550101", "+12125550102")
    await engine.dispatch()
    assert len(engine.telephony.placed) == 2
    states = sorted(call.state for call, _, _ in await engine.calls())
    assert states == ["in_call", "in_call", "scheduled"]


async def test_a_request_that_may_have_rung_is_settled_by_the_reconciler_never_redialled(engine: Engine) -> None:
    engine.telephony.unavailable(ANSWERS, maybe_placed=True)
    await engine.batch(ANSWERS)
    await engine.dispatch()
    ((call, _, _),) = await engine.calls()
    assert call.state == CallState.DIALING
    assert await engine.reconciler.run_once() == 0  # the lease has not run out
    engine.clock.advance(timedelta(seconds=RINGING_S + LEASE_S + 1))
    engine.telephony.room(call.room_name or "", RoomState(exists=True, callee_present=True, callee_call_status="ringing"))
    assert await engine.reconciler.run_once() == 1
    ((call, _, _),) = await engine.calls()
    assert call.state == CallState.DIALING  # still ringing: another ringing time-out
    assert call.lease_expires_at == engine.clock.now() + timedelta(seconds=RINGING_S + LEASE_S)
    engine.clock.advance(timedelta(seconds=RINGING_S + LEASE_S + 1))
    engine.telephony.room(call.room_name or "", RoomState(exists=True, callee_present=True, callee_call_status="active"))
    assert await engine.reconciler.run_once() == 1
    ((call, attempts, _),) = await engine.calls()
    assert call.state == CallState.IN_CALL and attempts[0].answered_at is not None
    assert len(engine.telephony.placed) == 1


async def test_no_trace_in_livekit_ends_the_attempt_as_an_error_and_retries_later(engine: Engine) -> None:
    engine.telephony.unavailable(ANSWERS, maybe_placed=True)
    await engine.batch(ANSWERS)
    await engine.dispatch()
    engine.clock.advance(timedelta(seconds=RINGING_S + LEASE_S + 1))
    assert await engine.reconciler.run_once() == 1
    ((call, attempts, codes),) = await engine.calls()
    assert call.state == CallState.SCHEDULED and attempts[0].outcome == "error"
    assert codes == ["dial", "retry"]
    assert len(engine.telephony.placed) == 1


async def test_livekit_unreachable_postpones_reconciliation(engine: Engine) -> None:
    engine.telephony.unavailable(ANSWERS, maybe_placed=True)
    await engine.batch(ANSWERS)
    await engine.dispatch()
    ((call, _, _),) = await engine.calls()
    engine.telephony.room_unavailable(call.room_name or "")
    engine.clock.advance(timedelta(seconds=RINGING_S + LEASE_S + 1))
    assert await engine.reconciler.run_once() == 0
    ((call, attempts, _),) = await engine.calls()
    assert call.state == CallState.DIALING and attempts[0].ended_at is None
    assert call.lease_expires_at == engine.clock.now() + timedelta(seconds=LEASE_S)  # held while it asked


async def test_refused_before_the_request_left_ends_the_attempt_at_once(engine: Engine) -> None:
    engine.telephony.unavailable(ANSWERS, maybe_placed=False)
    await engine.batch(ANSWERS)
    await engine.dispatch()
    ((call, attempts, codes),) = await engine.calls()
    assert call.state == CallState.SCHEDULED and attempts[0].outcome == "error"
    assert codes == ["dial", "retry"]


async def test_a_dial_held_back_as_the_circuit_opens_gives_its_attempt_back(database: Database, clock: ManualClock) -> None:
    """Two calls claimed in one run; while the second waits for its CPS slot the circuit opens (another dial's trunk
    failure): it is not placed, and since nobody was rung its attempt is given back and the call queued again, not
    spent as an error (a circuit opening under load used to burn an attempt of every call waiting for a slot)."""
    telephony = FakeTelephony()
    breaker = CircuitBreaker(clock=clock, failure_threshold=1, cooldown=timedelta(seconds=60))
    config = DispatchConfig(
        trunk_id="ST_test", agent_name="dialer-agent", calls_per_second=1.0, max_concurrent=2,
        window=CallingWindow(), retry=DEFAULT_RETRY_POLICY, secret="test-secret-key-0123456789",
        dialer_url="http://127.0.0.1:8000", ringing_timeout_s=RINGING_S, max_call_duration_s=MAX_DURATION_S,
        lease_s=LEASE_S, cps_guard_min_s=0.0, cps_guard_max_s=0.0,
    )

    async def slot_wait_while_the_trunk_fails(_: float) -> None:
        breaker.record_failure()  # the trunk fails while this dial waits for its slot

    dispatcher = Dispatcher(db=database, clock=clock, telephony=telephony, config=config, owner="me",
                            sleep=slot_wait_while_the_trunk_fails, circuit=breaker)
    engine = Engine(database, clock, telephony, dispatcher, reconciler=None)  # type: ignore[arg-type]
    try:
        await engine.batch(ANSWERS, "+12125550101")
        await engine.dispatch()
    finally:
        await dispatcher.stop()
    assert len(telephony.placed) == 1  # the first had its slot at once; the second never left
    held = [(call, attempts, codes) for call, attempts, codes in await engine.calls() if call.state != CallState.IN_CALL]
    ((call, attempts, codes),) = held
    assert [a.outcome for a in attempts] == ["not_placed"] and attempts[0].ended_at == clock.now()
    assert call.state == CallState.SCHEDULED and call.attempts_made == 1 and call.max_attempts == 4  # given back
    assert call.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert codes == ["dial", "not_placed"]


# -- waking: no wake-up lost, and a run that found no slot or no line wakes when one frees (issue 16) ---------------


@dataclass
class FakeTimer:
    """The dispatcher's timer, fired by the test: (delay asked for, callback)."""

    pending: list[tuple[float, Callable[[], None]]] = field(default_factory=list)

    def __call__(self, delay_s: float, callback: Callable[[], None]) -> FakeTimer:
        self.pending.append((delay_s, callback))
        return self

    def cancel(self) -> None:
        self.pending.clear()


def _started(engine: Engine, timer: FakeTimer, **config: Any) -> Dispatcher:
    """Another dispatcher on the engine's database, clock and telephony, with its own settings, started."""
    dispatcher = Dispatcher(db=engine.db, clock=engine.clock, telephony=engine.telephony, owner="me", sleep=no_sleep,
                            config=replace(CONFIG, **config), timer=timer)
    dispatcher.running = True
    engine.db.on_commit(dispatcher.note_commit)
    return dispatcher


async def test_a_wake_up_during_the_next_due_query_starts_another_run(engine: Engine) -> None:
    """The call falls due, and its wake-up arrives, while the quiet run asks when the next call is due: before, the
    wake-up only set a flag the finishing run never read again, and the call waited for the tick."""
    await engine.batch(ANSWERS)
    engine.clock.advance(timedelta(seconds=-1))  # not due for the first run
    fired: list[bool] = []

    def during_next_due(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "min(calls.next_attempt_at)" in statement and not fired:
            fired.append(True)
            engine.clock.advance(timedelta(seconds=1))
            engine.dispatcher.wake()  # e.g. the timer set for this call, or a NOTIFY

    event.listen(engine.db.engine.sync_engine, "before_cursor_execute", during_next_due)
    engine.dispatcher.running = True
    engine.dispatcher.wake()
    await engine.dispatcher.drain()
    assert fired == [True]
    assert engine.telephony.placed_numbers() == [ANSWERS]


async def test_calls_waiting_for_a_cps_slot_wake_when_the_next_slot_comes_into_the_horizon(engine: Engine) -> None:
    """1 CPS, a 1 s horizon: two of three due calls get slots (now, +1 s); the third waits for the slot at +2 s,
    which comes into the horizon at +1 s: the dispatcher wakes then, not at the next tick (an hour here)."""
    phones = ("+12125550110", "+16465550110", "+17185550110")
    for phone in phones:
        engine.telephony.fails(phone, Outcome.BUSY, 486)
    await engine.batch(*phones)
    timer = FakeTimer()
    dispatcher = _started(engine, timer, calls_per_second=1.0, horizon_s=1.0, max_concurrent=10, tick_s=3600.0)
    dispatcher.wake()
    await dispatcher.drain()
    assert len(engine.telephony.placed) == 2
    ((delay, wake),) = timer.pending
    assert delay == pytest.approx(1.0)
    engine.clock.advance(timedelta(seconds=1))
    wake()
    await dispatcher.drain()
    assert sorted(engine.telephony.placed_numbers()) == sorted(phones)
    await dispatcher.stop()


async def test_calls_waiting_for_a_line_wake_when_an_attempt_ends_here(engine: Engine) -> None:
    """One line, held by an answered call: the second call waits; the answered call's end (as a webhook records
    it, in its own transaction) wakes the dispatcher at once."""
    await engine.batch(ANSWERS, "+12125550101")
    dispatcher = _started(engine, FakeTimer(), max_concurrent=1, tick_s=3600.0)
    dispatcher.wake()
    await dispatcher.drain()
    (first,) = engine.telephony.placed
    async with engine.db.transaction() as session:
        found = await load_attempt(session, first.attempt_id)
        assert found is not None
        await end_attempt(session, *found, at=engine.clock.now(), outcome=None, sip_status_code=None,
                          retry=DEFAULT_RETRY_POLICY)
    await dispatcher.drain()
    assert len(engine.telephony.placed) == 2
    await dispatcher.stop()
