"""No ring before an agent has taken the job (issue 12, item 11). LiveKit dispatches a room's agent once, at
creation, and drops the job when no worker is free; the dialer waits for the agent participant and, when none
comes, deletes the room, rings nobody, gives the attempt back and queues the call again, saying so in the call's
decisions, /health and /metrics."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
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
