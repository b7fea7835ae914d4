"""The agent API's contract: every /api/agent route, called over HTTP by the agent's own client, parsed with the
agent's own schemas (agent/schemas.py); and every route that answers a body declares its response model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import get_args

import pytest

from agent.dialer_client import DialerClient
from agent.schemas import Outcome as AgentOutcome
from agent.schemas import TranscriptTurn
from api.app import create_app
from api.schemas.agent import EndIn
from config.settings import Settings
from dialer import credentials
from dialer.clock import ManualClock
from dialer.services.agent_calls import AGENT_OUTCOMES
from tests.stack import Stack, running_stack
from tests.support import T0

AGENT_KEY = "dev-agent-key"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock) as s:
        yield s


async def _answered_call(stack: Stack) -> tuple[str, str]:
    body = {"external_id": "c1", "name": "Ada", "phone": "+12125550116", "required_fields": ["start_date", "notice_period"]}
    candidate = (await stack.http.post("/api/candidates", json=body)).json()
    await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})
    await stack.dispatch()
    metadata = json.loads(stack.sandbox.dispatches[-1].metadata)
    return metadata["call_id"], metadata["token"]


async def test_every_gap_filling_route_parses_with_the_agents_schemas(stack: Stack) -> None:
    call_id, token = await _answered_call(stack)
    async with DialerClient(stack.base_url, token) as client:
        context = await client.call_context(call_id)
        assert context.call_id == call_id and [f.name for f in context.fields] == ["start_date", "notice_period"]
        assert context.candidate.name == "Ada" and context.candidate.timezone == "America/New_York"
        saved = await client.record_field(call_id, name="start_date", value="in two weeks", status="answered",
                                          source_text="in two weeks")
        assert saved.status == "answered" and saved.value == (T0 + timedelta(days=14)).date().isoformat()
        assert saved.missing_fields == ["notice_period"]
        await client.post_transcript(call_id, [TranscriptTurn(role="agent", text="Hello", at=T0.isoformat())])
        scheduled = await client.schedule_callback(call_id, at_local="2026-12-03T15:00")
        assert scheduled.local.startswith("2026-12-03T15:00")
        await client.transfer_started(call_id)
        await client.transfer_failed(call_id, sip_status=603)
        await client.do_not_call(call_id, reason="asked")
        await client.end_call(call_id, outcome="answered", reason="done")
    trail = (await stack.http.get(f"/api/calls/{call_id}")).json()["decisions"]
    assert ["transfer_started", "transfer_failed"] == [d["code"] for d in trail if d["code"].startswith("transfer_")]


def test_the_agents_end_outcomes_are_the_apis() -> None:
    """The outcomes the agent may report (agent/schemas.py) are exactly those the end route takes, and the
    dialer's service checks the same list."""
    api_outcomes = get_args(EndIn.model_fields["outcome"].annotation)
    assert set(get_args(AgentOutcome)) == set(api_outcomes) == set(AGENT_OUTCOMES)
    assert "transferred" in api_outcomes


async def test_every_briefing_route_parses_with_the_agents_schemas(stack: Stack) -> None:
    http = stack.http
    cand = (await http.post("/api/candidates", json={"external_id": "g", "name": "Grace", "phone": "+12125550100",
                                                       "fields": {"quota_attainment": "130%"}})).json()
    ivr = (await http.post("/api/interviewers", json={"name": "Alan", "phone": "+14155552671", "pin": "2468"})).json()
    interview = (await http.post("/api/interviews", json={
        "candidate_id": cand["id"], "interviewer_id": ivr["id"], "role": "AE",
        "scheduled_at": (T0 + timedelta(hours=2)).isoformat(), "resume_summary": "SaaS", "notes": "closer",
    })).json()
    opened = await http.post("/api/voice/token", json={"mode": "briefing", "interview_id": interview["id"],
                                                        "user_name": "Alan"})  # the credential opens only an open session
    assert opened.status_code == 200, opened.text
    token = credentials.issue(credentials.Scope("interview", interview["id"]),
                              secret=stack.runtime.settings.secret_key, now=T0, ttl=timedelta(minutes=10))
    async with DialerClient(stack.base_url, token) as client:
        briefing = await client.briefing(interview["id"])
    assert briefing.candidate.fields == {"quota_attainment": "130%"} and briefing.interview.notes == "closer"
    assert briefing.interviewer is not None and briefing.interviewer.name == "Alan"
    async with DialerClient(stack.base_url, AGENT_KEY) as client:
        by_phone = await client.identify(phone="+14155552671")
        by_pin = await client.verify_pin(pin="2468", phone="+14155552671")  # the PIN of the number it claims
        nobody = await client.identify(phone="+19175550000")
    assert by_pin.interviewer is not None and by_pin.interviewer.id == ivr["id"]
    assert [i.id for i in by_pin.interviews] == [interview["id"]] and by_pin.interviews[0].candidate_name == "Grace"
    assert by_phone.interviewer is None  # caller id alone is not trusted by default: the PIN is asked for
    assert nobody.interviewer is None and nobody.interviews == []


def test_every_agent_route_with_a_body_declares_its_response_model(settings: Settings) -> None:
    """So /docs shows what the agent receives; 204 routes answer nothing."""
    from dialer.runtime import Runtime

    app = create_app(Runtime.build(settings, clock=ManualClock(T0)), manage_runtime=False)
    paths = app.openapi()["paths"]
    agent_routes = {(path, method): op for path, ops in paths.items() if path.startswith("/api/agent/") for method, op in ops.items()}
    assert len(agent_routes) == 11
    for (path, method), op in agent_routes.items():
        if "204" in op["responses"]:
            continue
        content = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in content, f"{method.upper()} {path} has no response model"
