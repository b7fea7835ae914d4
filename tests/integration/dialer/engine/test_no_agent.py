"""No ring before an agent has taken the job (issue 12, item 11). LiveKit dispatches a room's agent once, at
creation, and drops the job when no worker is free; the dialer waits for the agent participant and, when none
comes, deletes the room, rings nobody, gives the attempt back and queues the call again, saying so in the call's
decisions, /health and /metrics."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine.circuit import CircuitState
from tests.receiver import Receiver
from tests.stack import Stack, running_stack

PHONE = "+12125550116"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "agent_wait_s": 1.0})
    async with running_stack(tuned, clock, agents=False) as s:  # a LiveKit with no agent worker free
        yield s


def _metric(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in metrics:\n{text}"
    return float(match.group(1))


async def test_no_agent_means_no_ring_no_attempt_spent_and_the_call_queued_again(stack: Stack) -> None:
    candidate = (
        await stack.http.post("/api/candidates", json={"external_id": "a", "name": "Ada", "phone": PHONE, "required_fields": ["start_date"]})
    ).json()
    await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]], "max_attempts": 1})
    await stack.dispatch()

    assert stack.sandbox.requests_for("CreateSIPParticipant") == []  # the phone never rang
    (created,) = stack.sandbox.requests_for("CreateRoom")
    assert [r.request.room for r in stack.sandbox.requests_for("DeleteRoom")] == [created.request.name]
    (call,) = (await stack.http.get("/api/calls", params={"candidate_id": candidate["id"]})).json()["items"]
    assert call["state"] == "scheduled"
    assert [a["outcome"] for a in call["attempts"]] == ["no_agent"]
    assert call["max_attempts"] - call["attempts_made"] == 1  # the one attempt it had is still there
    decision = call["decisions"][-1]
    assert decision["code"] == "no_agent" and "not rung" in decision["reason"] and "no agent" in decision["reason"]
    assert call["next_attempt_at"] == (stack.clock.now() + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")

    health = (await stack.http.get("/health")).json()
    assert health["status"] == "degraded" and health["agents"]["status"] == "unavailable"
    assert health["agents"]["dials_without_agent"] == 1
    metrics = (await stack.http.get("/metrics")).text
    assert _metric(metrics, "dialer_dials_without_agent_total") == 1
    assert _metric(metrics, "dialer_agents_available") == 0

    # A worker is back: the next try rings, and it is the call's first real attempt.
    assert stack.sandbox.agents is None
    stack.clock.advance(timedelta(seconds=29))
    await stack.dispatch()
    assert stack.sandbox.requests_for("CreateSIPParticipant") == []  # not before its back-off


async def test_an_agent_that_comes_back_takes_the_call_and_health_recovers(settings: Settings, clock: ManualClock) -> None:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "agent_wait_s": 1.0})
    async with running_stack(tuned, clock) as stack:
        agents = stack.sandbox.agents
        assert agents is not None
        agents.available = False  # the worker stopped
        candidate = (
            await stack.http.post("/api/candidates", json={"external_id": "a", "name": "Ada", "phone": PHONE, "required_fields": ["start_date"]})
        ).json()
        await stack.http.post("/api/calls", json={"candidate_id": candidate["id"]})
        await stack.dispatch()
        assert stack.sandbox.requests_for("CreateSIPParticipant") == []
        assert (await stack.http.get("/health")).json()["status"] == "degraded"

        agents.available = True
        clock.advance(timedelta(seconds=30))
        await stack.dispatch()
        (sip,) = stack.sandbox.requests_for("CreateSIPParticipant")
        room = sip.request.room_name
        kinds = {p.identity: p.kind for p in stack.sandbox.participants[room].values()}
        assert sorted(kinds) == sorted([f"agent-{agents.jobs[-1].id}", sip.request.participant_identity])
        (call,) = (await stack.http.get("/api/calls", params={"candidate_id": candidate["id"]})).json()["items"]
        assert call["state"] == "in_call" and [a["outcome"] for a in call["attempts"]] == ["no_agent", None]
        health = (await stack.http.get("/health")).json()
        assert health["status"] == "ok" and health["agents"]["status"] == "available"
        assert _metric((await stack.http.get("/metrics")).text, "dialer_agents_available") == 1


async def test_a_half_open_circuits_probe_that_finds_no_agent_lets_the_next_call_probe_at_once(
    settings: Settings, clock: ManualClock
) -> None:
    """No agent means nothing rang: the probe says nothing about the trunk, so it is released, neither a success nor
    a failure, and the next call probes now instead of after the probe time-out (ringing time-out + 2 × LiveKit's)."""
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "agent_wait_s": 1.0, "circuit_failure_threshold": 2})
    async with running_stack(tuned, clock) as stack:
        agents = stack.sandbox.agents
        assert agents is not None
        for index in range(2):  # SIP 503 from the carrier twice: the circuit opens
            await _candidate_call(stack, f"down-{index}", "+12125550114")
        await stack.dispatch()
        assert stack.runtime.circuit.snapshot().state is CircuitState.OPEN

        waiting = [await _candidate_call(stack, f"wait-{index}", PHONE) for index in range(2)]
        agents.available = False
        clock.advance(timedelta(seconds=tuned.circuit_cooldown_s))
        await stack.dispatch()  # the probe: no agent takes its job, nothing rings
        assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 2
        probed = [c for c in waiting if (await _attempts(stack, c)) == ["no_agent"]]
        assert len(probed) == 1
        assert stack.runtime.circuit.snapshot().state is CircuitState.HALF_OPEN
        assert stack.runtime.circuit.allowance() == 1  # released: nobody waits out the probe time-out

        agents.available = True
        await stack.dispatch()  # no clock advance: the other call is the next probe, answered, and the circuit closes
        assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 3
        (other,) = [c for c in waiting if c not in probed]
        assert await _attempts(stack, other) == [None]  # in the call
        assert stack.runtime.circuit.snapshot().state is CircuitState.CLOSED


async def _candidate_call(stack: Stack, external_id: str, phone: str) -> str:
    """A candidate and a one-off call to them; returns the call id."""
    body = {"external_id": external_id, "name": "Ada", "phone": phone, "required_fields": ["start_date"]}
    candidate = (await stack.http.post("/api/candidates", json=body)).json()
    created = await stack.http.post("/api/calls", json={"candidate_id": candidate["id"]})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _attempts(stack: Stack, call_id: str) -> list[str | None]:
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    return [a["outcome"] for a in call["attempts"]]


async def test_a_call_not_placed_is_its_own_webhook_not_call_ended(
    settings: Settings, clock: ManualClock, receiver: Receiver
) -> None:
    """The recruiter's system hears that attempt 1 never rang and when the call is tried again; `call.ended` (one per
    attempt that rang, or failed to) is for attempts that were spent."""
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "agent_wait_s": 1.0, "webhook_url": receiver.url})
    async with running_stack(tuned, clock) as stack:
        agents = stack.sandbox.agents
        assert agents is not None
        agents.available = False
        call_id = await _candidate_call(stack, "a", PHONE)
        await stack.dispatch()
        await stack.runtime.outbox.run_once()
        assert receiver.of_type("call.ended") == []
        (not_placed,) = receiver.of_type("call.not_placed")
        data = not_placed["data"]
        assert data["call_id"] == call_id and data["attempt"] == 1 and data["outcome"] == "no_agent"
        assert data["attempt_counted"] is False and data["call_state"] == "scheduled"
        assert data["next_attempt_at"] == (clock.now() + timedelta(seconds=30)).isoformat()
        assert "no agent" in data["detail"] and PHONE not in json.dumps(not_placed)  # no number in it

        agents.available = True
        clock.advance(timedelta(seconds=30))
        await stack.dispatch()
        room = (await stack.http.get(f"/api/calls/{call_id}")).json()["room_name"]
        await stack.hang_up(room)
        await stack.runtime.outbox.run_once()
        (ended,) = receiver.of_type("call.ended")
        assert ended["data"]["attempt"] == 2 and ended["data"]["outcome"] == "nothing_collected"
        assert len(receiver.of_type("call.not_placed")) == 1
