"""A dead trunk under a short ringing time-out (SQLite and PostgreSQL, on the sandbox through the whole dialer).

The carrier never answers the INVITE (reserved 555-0118); with a ringing time-out under the INVITE transaction's
32 s LiveKit answers "sip request timed out", exactly as for a phone that rang out (555-0117). The leg's last
`sip.callStatus` in its departure webhook (`dialing`, never `ringing`) tells them apart: the dead trunk is a trunk
failure that opens the circuit breaker, the phone that rang out is the callee's no answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine.circuit import CircuitState
from dialer.store.models import Attempt
from tests.stack import Stack, listening_socket, running_stack, second_instance

DEAD_TRUNK = "+12125550118"
RINGS_OUT = "+12125550117"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={
        "calls_per_second": 100.0, "ringing_timeout_s": 5, "circuit_failure_threshold": 1,
    })
    async with running_stack(tuned, clock) as s:
        yield s


async def _dial(stack: Stack, phone: str) -> dict[str, Any]:
    body = {"external_id": f"ext-{phone[-4:]}", "name": "Ada", "phone": phone, "required_fields": ["start_date"]}
    candidate = (await stack.http.post("/api/candidates", json=body)).json()["id"]
    call_id = (await stack.http.post("/api/calls", json={"candidate_id": candidate})).json()["id"]
    await stack.dispatch()
    call: dict[str, Any] = (await stack.http.get(f"/api/calls/{call_id}")).json()
    return call


async def test_a_dead_trunk_is_a_trunk_failure_that_opens_the_circuit(stack: Stack) -> None:
    call = await _dial(stack, DEAD_TRUNK)
    (attempt,) = call["attempts"]
    assert attempt["outcome"] == "error", call
    assert call["decisions"][-1]["code"] == "retry"  # soon, as for an error, not a no answer's long wait
    async with stack.runtime.db.transaction() as session:
        detail = await session.scalar(select(Attempt.error).where(Attempt.call_id == call["id"]))
    assert detail is not None and "trunk failure" in detail and "never rang" in detail, detail
    assert stack.runtime.circuit.snapshot().state is CircuitState.OPEN
    left = [e for e in stack.sandbox.webhook_events if e.event == "participant_left"]
    assert [e.participant.attributes["sip.callStatus"] for e in left] == ["dialing"]


async def test_a_phone_that_rang_out_is_no_answer_and_the_circuit_stays_closed(stack: Stack) -> None:
    call = await _dial(stack, RINGS_OUT)
    (attempt,) = call["attempts"]
    assert attempt["outcome"] == "no_answer", call
    assert stack.runtime.circuit.snapshot().state is CircuitState.CLOSED
    left = [e for e in stack.sandbox.webhook_events if e.event == "participant_left"]
    assert [e.participant.attributes["sip.callStatus"] for e in left] == ["ringing"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # instances share news through PostgreSQL
async def test_a_dead_trunk_is_seen_when_the_webhook_reaches_another_instance(
    settings: Settings, clock: ManualClock
) -> None:
    """Two instances on PostgreSQL behind one webhook address that sends every LiveKit webhook to the other one: the
    dialling instance still learns the leg never rang (shared through NOTIFY), so the dead trunk opens its circuit."""
    settings = settings.model_copy(update={
        "calls_per_second": 100.0, "ringing_timeout_s": 5, "circuit_failure_threshold": 1,
    })
    elsewhere = listening_socket()
    webhooks_elsewhere = f"http://127.0.0.1:{elsewhere.getsockname()[1]}/api/livekit/webhook"
    async with running_stack(settings, clock, webhook_url=webhooks_elsewhere) as stack:
        # The other instance dispatches for another trunk, so it never takes this call.
        other = settings.model_copy(update={"sip_outbound_trunk_id": "ST_other_instance"})
        async with second_instance(other, clock, sock=elsewhere, livekit_url=stack.sandbox.url) as receiving:
            await stack.runtime.wakeups.start()
            for runtime in (stack.runtime, receiving):
                await asyncio.wait_for(runtime.wakeups.connected.wait(), 10)
            call = await _dial(stack, DEAD_TRUNK)
        assert call["attempts"][0]["outcome"] == "error", call
        assert stack.runtime.circuit.snapshot().state is CircuitState.OPEN
        left = [e for e in stack.sandbox.webhook_events if e.event == "participant_left"]
        assert [e.participant.attributes["sip.callStatus"] for e in left] == ["dialing"]
