"""End to end: a batch over the API → the sandbox receives the SIP request and the agent dispatch → the agent
entrypoint runs in text mode with that dispatch's metadata → it records two fields through the API → the call ends
→ the candidate's missing fields shrink → the post-call report arrives, signed, at the recruiter's receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from livekit import api

from agent.call_control import LiveKitCallControl
from agent.runner import open_text_session
from agent.settings import AgentSettings
from config.settings import Settings
from dialer.clock import ManualClock
from dialer_testing.scripted_llm import ScriptedLLM, call, say
from tests.integration.api.test_agent_api import SECRET
from tests.receiver import Receiver
from tests.stack import Stack, running_stack

PHONE = "+12125550116"  # answers, stays on the line until someone hangs up


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock, receiver: Receiver) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"webhook_url": receiver.url, "webhook_secret": SECRET})
    async with running_stack(tuned, clock) as s:
        yield s


async def test_a_batch_call_fills_two_fields_and_reports(stack: Stack, receiver: Receiver) -> None:
    created = await stack.http.post(
        "/api/candidates",
        json={
            "external_id": "ats-123",
            "name": "Ada Lovelace",
            "phone": PHONE,
            "fields": {"current_title": "AE"},
            "required_fields": ["current_title", "quota_attainment", "start_date"],
        },
    )
    candidate = created.json()
    assert candidate["missing_fields"] == ["quota_attainment", "start_date"]
    batch = await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})
    assert batch.status_code == 201

    await stack.dispatch()
    (sip,) = stack.sandbox.requests_for("CreateSIPParticipant")
    assert sip.request.sip_call_to == PHONE
    (dispatch,) = stack.sandbox.dispatches
    assert dispatch.agent_name == stack.runtime.settings.agent_name
    room = dispatch.room
    callee = stack.sandbox.participants[room][f"callee-{json.loads(dispatch.metadata)['call_id']}"]
    attributes = dict(callee.attributes)
    assert attributes["sip.callStatus"] == "active" and attributes["dialer.mode"] == "gap_filling"

    model = ScriptedLLM([
        call("confirm_identity"),
        say("Thanks Ada. I'm following up on your application; two quick questions. Is now a good time?"),
        call("record_field", name="quota_attainment", value="a hundred and twelve percent", confirmed=False),
        say("That's 112 percent, right?"),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Thanks. When could you start?"),
        call("record_field", name="start_date", value="March 3rd 2027", confirmed=False),
        say("So March third, 2027?"),
        call("record_field", name="start_date", value="2027-03-03", confirmed=True),
        say("Perfect, that's everything. Thanks Ada, goodbye!"),
        call("end_call", reason="all fields collected"),  # the goodbye was said: end_call only hangs up
    ])
    lk = stack.runtime.livekit
    async with api.LiveKitAPI(lk.url, lk.api_key, lk.api_secret) as lkapi:
        control = LiveKitCallControl(lkapi, room_name=room, participant_identity=callee.identity)
        async with open_text_session(
            dispatch.metadata, attributes, llm=model, settings=AgentSettings(dialer_api_url=stack.base_url), call_control=control
        ) as run:
            await run.answer()
            await run.user_says("Yes, this is Ada")
            await run.user_says("It was a hundred and twelve percent")
            await run.user_says("Yes")
            await run.user_says("I could start March 3rd 2027")
            await run.user_says("Correct")
            await run.user_says("Bye")
            await run.agent.wait_background()
    assert model.remaining == 0
    stack.clock.advance(timedelta(minutes=2))
    await stack.sandbox.drain_webhooks()

    after = (await stack.http.get(f"/api/candidates/{candidate['id']}")).json()
    assert after["missing_fields"] == []
    assert after["fields"] == {"current_title": "AE", "quota_attainment": "112%", "start_date": "2027-03-03"}
    call_state = (await stack.http.get(f"/api/calls/{json.loads(dispatch.metadata)['call_id']}")).json()
    assert call_state["state"] == "completed" and call_state["attempts"][0]["outcome"] == "answered"

    stack.clock.advance(timedelta(seconds=15))
    await stack.runtime.outbox.run_once()
    (report,) = receiver.of_type("call.report")
    data = report["data"]
    assert [(f["name"], f["value"]) for f in data["fields_collected"]] == [("quota_attainment", "112%"), ("start_date", "2027-03-03")]
    callee_said = [turn["text"] for turn in data["transcript"] if turn["role"] == "callee"]
    assert callee_said[:3] == ["Yes, this is Ada", "It was a hundred and twelve percent", "Yes"]
    greeting = data["transcript"][0]["text"]
    assert "automated assistant" in greeting and "Dialer Sandbox" in greeting and "transcribed" in greeting
    assert data["transcript"][0]["role"] == "agent" and "Ada" in data["transcript"][0]["text"]
    assert data["missing_fields"] == []
    for _, body, headers in receiver.deliveries:
        assert headers["X-Dialer-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
