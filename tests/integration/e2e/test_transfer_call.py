"""End to end: the real gap-filling agent in text mode, with LiveKit's own TransferSIPParticipant (the sandbox's), asked
for a person after one field. A REFER that goes through makes the call `transferred`: completed, the field kept, never
rung again by the bot. A refused REFER (the transfer number is busy) leaves the call what its conversation earned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from livekit import api

from agent.call_control import LiveKitCallControl
from agent.runner import open_text_session
from agent.settings import AgentSettings
from config.settings import Settings
from dialer.clock import ManualClock
from dialer_testing.scripted_llm import Call, ScriptedLLM, Turn, call, say
from tests.stack import Stack, running_stack

PHONE = "+12125550116"  # answers, stays on the line until someone hangs up
RECRUITER = "+12125550130"  # a sandbox number that answers: the transfer goes through
BUSY_RECRUITER = "+13125550110"  # busy: the transfer is refused with SIP 486


@pytest.fixture(params=[RECRUITER, BUSY_RECRUITER], ids=["accepted", "refused"])
async def stack(request: pytest.FixtureRequest, settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings.model_copy(update={"transfer_number": request.param}), clock) as s:
        yield s


async def _talk(stack: Stack) -> tuple[str, list[str]]:
    """A batch call whose candidate gives one field and then asks for a person; returns (call id, what was said)."""
    candidate = (await stack.http.post("/api/candidates", json={
        "external_id": "ats-1", "name": "Ada Lovelace", "phone": PHONE,
        "required_fields": ["quota_attainment", "start_date"],
    })).json()
    await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})
    await stack.dispatch()
    (dispatch,) = stack.sandbox.dispatches
    call_id = json.loads(dispatch.metadata)["call_id"]
    callee = stack.sandbox.participants[dispatch.room][f"callee-{call_id}"]
    model = ScriptedLLM([
        call("confirm_identity"),
        say("Thanks Ada. Two quick questions. What was your quota attainment last year?"),
        call("record_field", name="quota_attainment", value="a hundred and twelve percent", confirmed=False),
        say("That's 112 percent, right?"),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Thanks. When could you start?"),
        Turn(text="Of course, I'm transferring you to a person now.", calls=(Call("transfer_to_human"),)),
        say("I'm sorry, the transfer didn't go through. Can someone call you back instead?"),
    ])
    lk = stack.runtime.livekit
    async with api.LiveKitAPI(lk.url, lk.api_key, lk.api_secret) as lkapi:
        control = LiveKitCallControl(lkapi, room_name=dispatch.room, participant_identity=callee.identity)
        async with open_text_session(
            dispatch.metadata, dict(callee.attributes), llm=model,
            settings=AgentSettings(dialer_api_url=stack.base_url), call_control=control,
        ) as run:
            await run.answer()
            for line in ("Yes, this is Ada", "It was a hundred and twelve percent", "Yes",
                         "Actually, can I talk to a real person?"):
                await run.user_says(line)
            await run.agent.wait_background()
            said = [m.text_content or "" for m in run.session.history.messages() if m.role == "assistant"]
            if stack.runtime.settings.transfer_number == BUSY_RECRUITER:
                stack.clock.advance(timedelta(seconds=30))
                await stack.hang_up(dispatch.room)  # the candidate hangs up after the apology
    await stack.sandbox.drain_webhooks()
    return call_id, said


async def test_a_transfer_to_a_person(stack: Stack) -> None:
    call_id, said = await _talk(stack)
    accepted = stack.runtime.settings.transfer_number == RECRUITER
    (refer,) = stack.sandbox.requests_for("TransferSIPParticipant")
    assert refer.request.transfer_to == f"tel:{stack.runtime.settings.transfer_number}"
    result: dict[str, Any] = (await stack.http.get(f"/api/calls/{call_id}")).json()
    candidate = (await stack.http.get(f"/api/candidates/{result['candidate_id']}")).json()
    assert candidate["fields"]["quota_attainment"] == "112%"  # saved before the transfer, kept either way
    codes = [d["code"] for d in result["decisions"]]
    if accepted:
        assert result["state"] == "completed" and [a["outcome"] for a in result["attempts"]] == ["transferred"]
        assert "transfer_failed" not in codes and not any("didn't go through" in line for line in said)
        stack.clock.advance(timedelta(days=3))
        await stack.dispatch()
        assert stack.dialled_numbers() == [PHONE]  # never rung by the bot again
    else:
        assert any("didn't go through" in line for line in said)
        assert result["state"] == "scheduled" and [a["outcome"] for a in result["attempts"]] == ["partially_collected"]
        assert "transfer_started" in codes and "transfer_failed" in codes
