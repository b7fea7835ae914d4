"""The engine under LiveKit faults, end to end over the wire (SQLite and PostgreSQL): 5xx, time-outs, refused
connections, the circuit breaker, and a dial that misses its CPS slot. Nothing is lost, nothing is dialled twice.

The clock is manual; the only real waiting is LiveKit's own (a time-out of 2.3 s in one test, 0.3 s of retry
backoff in others).
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine.circuit import CircuitState
from dialer.engine.dispatcher import Dispatcher
from dialer.engine.guard import slot_interval
from dialer.store.models import TrunkBudget
from dialer.telephony.base import DialRequest
from dialer.telephony.livekit import LiveKitTelephony
from sandbox.webhooks import CONTENT_TYPE, encode_webhook
from tests.stack import Stack, running_stack

BUSY = "+13125550110"
ANSWERS = "+12125550116"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(
        update={"calls_per_second": 100.0, "max_concurrent_calls": 10, "circuit_failure_threshold": 2}
    )
    async with running_stack(tuned, clock) as s:
        yield s


async def _batch(stack: Stack, *phones: str, prefix: str = "c") -> str:
    ids = []
    for index, phone in enumerate(phones):
        body = {"external_id": f"{prefix}{index}", "name": "Test", "phone": phone, "required_fields": ["start_date"]}
        response = await stack.http.post("/api/candidates", json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    created = await stack.http.post("/api/batches", json={"candidate_ids": ids})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _calls(stack: Stack, batch_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await stack.http.get("/api/calls", params={"batch_id": batch_id})).json()["items"]
    return items


def _sip_per_room(stack: Stack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in stack.sandbox.requests_for("CreateSIPParticipant"):
        assert record.request is not None
        room = getattr(record.request, "room_name")
        counts[room] = counts.get(room, 0) + 1
    return counts


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens once the socket is closed


async def test_transient_5xx_before_the_sip_request_is_retried_and_the_call_placed_once(stack: Stack) -> None:
    stack.sandbox.inject_fault("CreateRoom", status=503)
    batch_id = await _batch(stack, BUSY)
    await stack.dispatch()
    (call,) = await _calls(stack, batch_id)
    assert [a["outcome"] for a in call["attempts"]] == ["busy"]
    assert _sip_per_room(stack) == {call["room_name"]: 1}
    assert stack.runtime.circuit.snapshot().state is CircuitState.CLOSED


async def test_sip_5xx_is_not_retried_and_the_reconciler_settles_it(stack: Stack, clock: ManualClock) -> None:
    stack.sandbox.inject_fault("CreateSIPParticipant", status=503)
    batch_id = await _batch(stack, ANSWERS)
    await stack.dispatch()
    (call,) = await _calls(stack, batch_id)
    assert call["state"] == "dialing"  # may have rung as far as we know: left for the reconciler
    clock.advance(timedelta(seconds=30 + 120 + 1))
    assert await stack.runtime.reconciler.run_once() == 1
    (call,) = await _calls(stack, batch_id)
    assert call["state"] == "scheduled" and call["attempts"][0]["outcome"] == "error"
    await stack.dispatch()
    assert _sip_per_room(stack) == {call["room_name"]: 1}


@pytest.fixture
async def held_stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    """LiveKit's webhooks held back (the test delivers them): the answer's webhook is lost, as far as the dialer knows
    (had it arrived, the call would be `in_call` with the answered lease, and the reconciler would have nothing to do)."""
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "max_concurrent_calls": 10})
    async with running_stack(tuned, clock, webhook_path="/held-back") as s:
        yield s
        await s.sandbox.drain_webhooks()


async def _deliver_held(stack: Stack, room: str, kind: str) -> None:
    lk = stack.runtime.livekit
    for event in [e for e in stack.sandbox.webhook_events if e.room.name == room and e.event == kind]:
        body, token = encode_webhook(event, api_key=lk.api_key, api_secret=lk.api_secret)
        response = await stack.http.post(
            "/api/livekit/webhook", content=body, headers={"Authorization": token, "Content-Type": CONTENT_TYPE}
        )
        assert response.status_code == 200, response.text


async def test_sip_time_out_is_left_to_the_reconciler_which_finds_the_answered_call(
    held_stack: Stack, clock: ManualClock
) -> None:
    # A dispatcher whose SIP request times out after 2 s (ringing time-out 0 + livekit-api's 2 s margin), while
    # LiveKit places the call after 2.3 s: the phone rang though the request "failed".
    stack = held_stack
    runtime = stack.runtime
    config = dataclasses.replace(runtime.dispatcher._config, ringing_timeout_s=0)
    lk = runtime.livekit
    telephony = LiveKitTelephony(url=lk.url, api_key=lk.api_key, api_secret=lk.api_secret, request_timeout_s=0.5)
    dispatcher = Dispatcher(db=runtime.db, clock=clock, telephony=telephony, config=config, owner="test")
    stack.sandbox.inject_fault("CreateSIPParticipant", delay_s=2.3)
    batch_id = await _batch(stack, ANSWERS)
    try:
        await dispatcher.run_once()
        await dispatcher.drain()
    finally:
        await telephony.close()
    (call,) = await _calls(stack, batch_id)
    assert call["state"] == "dialing"
    await stack.sandbox.wait_until(lambda: len(stack.sandbox.calls) == 1)
    clock.advance(timedelta(seconds=120 + 1))
    assert await runtime.reconciler.run_once() == 1
    (call,) = await _calls(stack, batch_id)
    assert call["state"] == "in_call" and call["attempts"][0]["answered_at"]
    await stack.hang_up(call["room_name"])
    await _deliver_held(stack, call["room_name"], "participant_left")
    (call,) = await _calls(stack, batch_id)
    assert call["state"] == "scheduled" and call["attempts"][0]["outcome"] == "nothing_collected"
    assert _sip_per_room(stack) == {call["room_name"]: 1}


async def test_circuit_opens_when_livekit_is_unreachable_then_one_probe_closes_it(
    stack: Stack, clock: ManualClock
) -> None:
    telephony = stack.runtime.telephony
    sandbox_url = telephony.url
    telephony.url = _dead_url()  # LiveKit down: connections refused
    failed_batch = await _batch(stack, BUSY, BUSY, prefix="down")
    await stack.dispatch()
    assert [c["attempts"][0]["outcome"] for c in await _calls(stack, failed_batch)] == ["error", "error"]
    assert stack.runtime.circuit.snapshot().state is CircuitState.OPEN
    health = (await stack.http.get("/health")).json()
    assert health["status"] == "degraded" and health["circuit"]["state"] == "open"
    metrics = (await stack.http.get("/metrics")).text
    assert 'dialer_circuit_state{state="open"} 1.0' in metrics
    assert 'dialer_attempts_ended_total{outcome="error"} 2.0' in metrics

    # While open, nothing is claimed: the new calls stay queued with no attempt used.
    await telephony.close()
    telephony.url = sandbox_url  # LiveKit is back, but the circuit does not know yet
    waiting = await _batch(stack, BUSY, BUSY, BUSY, prefix="later")
    await stack.dispatch()
    assert all(c["state"] == "scheduled" and c["attempts"] == [] for c in await _calls(stack, waiting))
    assert stack.sandbox.requests_for("CreateSIPParticipant") == []

    # After the cool-down, exactly one probe; it succeeds (busy is a working trunk), the circuit closes, the rest go.
    clock.advance(timedelta(seconds=30))
    assert stack.runtime.circuit.snapshot().state is CircuitState.HALF_OPEN
    await stack.dispatch()
    assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 1
    assert stack.runtime.circuit.snapshot().state is CircuitState.CLOSED
    await stack.dispatch()
    assert all(len(c["attempts"]) == 1 for c in await _calls(stack, waiting))
    assert set(_sip_per_room(stack).values()) == {1} and len(_sip_per_room(stack)) == 3
    assert (await stack.http.get("/health")).json()["status"] == "ok"


async def test_trunk_failures_open_the_circuit_and_a_failed_probe_reopens_it(stack: Stack, clock: ManualClock) -> None:
    carrier_down = "+12125550114"  # SIP 503 from the carrier on every call
    await _batch(stack, carrier_down, carrier_down, prefix="a")
    await stack.dispatch()
    assert stack.runtime.circuit.snapshot().state is CircuitState.OPEN
    await _batch(stack, carrier_down, carrier_down, prefix="b")
    await stack.dispatch()
    assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 2
    clock.advance(timedelta(seconds=30))
    await stack.dispatch()  # one probe, and it fails
    assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 3
    assert stack.runtime.circuit.snapshot().state is CircuitState.OPEN and stack.runtime.circuit.times_opened == 2
    await stack.dispatch()
    assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 3
    clock.advance(timedelta(seconds=30))
    await stack.dispatch()  # the next probe (the other call of batch b) fails too
    assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 4
    assert stack.runtime.circuit.times_opened == 3
    assert set(_sip_per_room(stack).values()) == {1}


@pytest.mark.parametrize(("late_ms", "reslotted"), [(2, False), (200, True)])
async def test_a_dial_that_misses_its_cps_slot_takes_a_new_one(
    stack: Stack, clock: ManualClock, late_ms: int, reslotted: bool
) -> None:
    telephony = stack.runtime.telephony
    real_prepare = telephony.prepare

    async def slow_prepare(request: DialRequest) -> None:
        await real_prepare(request)
        clock.advance(timedelta(milliseconds=late_ms))  # the room set-up took this long; the guard's floor / 4 is 25 ms

    telephony.prepare = slow_prepare  # type: ignore[method-assign]
    slot = clock.now()
    batch_id = await _batch(stack, BUSY)
    await stack.dispatch()
    (call,) = await _calls(stack, batch_id)
    assert call["attempts"][0]["outcome"] == "busy"
    assert _sip_per_room(stack) == {call["room_name"]: 1}
    dispatcher = stack.runtime.dispatcher
    interval = slot_interval(dispatcher._config.calls_per_second, dispatcher.guard.seconds)
    async with stack.runtime.db.transaction() as session:
        budget = await session.get(TrunkBudget, stack.runtime.settings.sip_outbound_trunk_id)
    assert budget is not None
    if reslotted:  # a new slot was taken at the late moment, and the budget moved past it
        assert budget.next_slot_at == slot + timedelta(milliseconds=late_ms) + interval
    else:  # sent in its own slot
        assert budget.next_slot_at == slot + interval
