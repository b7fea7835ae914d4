"""The sandbox's simulated conversations, end to end: a batch over the API → the sandbox answers a reserved number
→ the real agent (text mode, the deterministic policy model) talks with the number's scripted callee through the
dialer's agent API with the call's credential → fields saved, transcript stored, webhooks sent; on SQLite and
PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from agent.policy_llm import PolicyLLM
from config.settings import Settings
from dialer.clock import ManualClock
from tests.integration.api.test_agent_api import SECRET
from tests.receiver import Receiver
from tests.stack import Stack, running_stack


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock, receiver: Receiver) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"webhook_url": receiver.url, "webhook_secret": SECRET})
    async with running_stack(tuned, clock, conversations=True, conversation_model=PolicyLLM,
                             conversation_clock=clock.now) as s:
        yield s


async def _call(stack: Stack, phone: str, required: list[str], fields: dict[str, Any] | None = None) -> dict[str, Any]:
    created = await stack.http.post("/api/candidates", json={
        "external_id": f"ats-{phone}", "name": "Ada Lovelace", "phone": phone, "fields": fields or {},
        "required_fields": required,
    })
    assert created.status_code == 201, created.text
    candidate: dict[str, Any] = created.json()
    batch = await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})
    assert batch.status_code == 201, batch.text
    await stack.dispatch()
    simulator = stack.sandbox.simulator
    assert simulator is not None
    await simulator.wait_idle()
    await stack.sandbox.drain_webhooks()
    return candidate


async def test_a_cooperative_callee_gives_every_missing_field(stack: Stack, receiver: Receiver) -> None:
    candidate = await _call(stack, "+12125550109", ["current_title", "quota_attainment", "start_date"],
                            {"current_title": "AE"})
    assert candidate["missing_fields"] == ["quota_attainment", "start_date"]
    after = (await stack.http.get(f"/api/candidates/{candidate['id']}")).json()
    assert after["missing_fields"] == []
    today = stack.clock.now().date()
    assert after["fields"] == {"current_title": "AE", "quota_attainment": "112%",
                               "start_date": (today + timedelta(days=14)).isoformat()}

    (conversation,) = stack.sandbox.simulator.conversations.values()  # type: ignore[union-attr]
    assert conversation.persona == "cooperative" and conversation.ended_by == "agent"
    assert conversation.outcome == "answered"
    agent_lines = [text for who, text in conversation.turns if who == "agent"]
    assert "automated assistant" in agent_lines[0] and "transcribed" in agent_lines[0]
    assert any("a hundred and twelve percent. Is that right?" in line for line in agent_lines)
    assert "Goodbye" in agent_lines[-1]

    calls = (await stack.http.get("/api/calls", params={"candidate_id": candidate["id"]})).json()
    (call,) = calls["items"]
    assert call["state"] == "completed" and call["attempts"][0]["outcome"] == "answered"
    assert call["attempts"][0]["simulated"] is True

    stack.clock.advance(timedelta(seconds=15))
    await stack.runtime.outbox.run_once()
    (report,) = receiver.of_type("call.report")
    data = report["data"]
    assert [(f["name"], f["value"]) for f in data["fields_collected"]] == [
        ("quota_attainment", "112%"), ("start_date", (today + timedelta(days=14)).isoformat())]
    callee_said = [turn["text"] for turn in data["transcript"] if turn["role"] == "callee"]
    assert callee_said[0] == "Yes, this is Ada, speaking."
    assert "It was a hundred and twelve percent" in callee_said
    assert data["simulated"] is True
    collected = receiver.of_type("fields.collected")
    assert len(collected) == 2 and all(event["data"]["simulated"] is True for event in collected)
    (ended,) = receiver.of_type("call.ended")
    assert ended["data"]["simulated"] is True


async def _only_call(stack: Stack, candidate: dict[str, Any]) -> dict[str, Any]:
    calls = (await stack.http.get("/api/calls", params={"candidate_id": candidate["id"]})).json()
    (call,) = calls["items"]
    assert isinstance(call, dict)
    return call


async def test_the_voicemail_number_takes_a_message_and_the_attempt_ends_voicemail(stack: Stack) -> None:
    """#12 item 19: 0115 used to end `answered`; its mailbox now hears the agent's message, and it is retried."""
    candidate = await _call(stack, "+12125550115", ["quota_attainment"])
    (conversation,) = stack.sandbox.simulator.conversations.values()  # type: ignore[union-attr]
    assert conversation.persona == "voicemail" and conversation.outcome == "voicemail"
    ((who, message),) = conversation.turns
    assert who == "agent" and "call us back" in message.lower()
    call = await _only_call(stack, candidate)
    assert call["attempts"][0]["outcome"] == "voicemail"
    assert call["state"] == "scheduled" and call["next_attempt_at"] is not None  # retried later, by the rules


async def test_the_callback_persona_books_a_call_back(stack: Stack) -> None:
    candidate = await _call(stack, "+12125550120", ["quota_attainment"])
    (conversation,) = stack.sandbox.simulator.conversations.values()  # type: ignore[union-attr]
    assert conversation.ended_by == "agent"
    assert any("call you tomorrow" in text for who, text in conversation.turns if who == "agent")
    call = await _only_call(stack, candidate)
    assert call["state"] == "scheduled"
    assert call["next_attempt_at"].startswith((stack.clock.now().date() + timedelta(days=1)).isoformat())


async def test_the_opt_out_persona_is_put_on_the_do_not_call_list(stack: Stack) -> None:
    candidate = await _call(stack, "+12125550121", ["quota_attainment"])
    (conversation,) = stack.sandbox.simulator.conversations.values()  # type: ignore[union-attr]
    assert any("you won't be called again" in text for who, text in conversation.turns if who == "agent")
    after = (await stack.http.get(f"/api/candidates/{candidate['id']}")).json()
    assert after["missing_fields"] == ["quota_attainment"]
    call = await _only_call(stack, candidate)
    assert call["state"] != "scheduled"


async def test_the_wrong_person_persona_flags_the_number(stack: Stack) -> None:
    candidate = await _call(stack, "+12125550122", ["quota_attainment"])
    (conversation,) = stack.sandbox.simulator.conversations.values()  # type: ignore[union-attr]
    assert conversation.outcome == "wrong_person"
    said = " ".join(text for who, text in conversation.turns if who == "agent")
    assert "wrong number" in said and "application" not in said
    call = await _only_call(stack, candidate)
    assert call["attempts"][0]["outcome"] == "wrong_person"


async def test_the_screening_persona_hears_who_calls_then_cooperates(stack: Stack) -> None:
    candidate = await _call(stack, "+12125550123", ["quota_attainment"])
    (conversation,) = stack.sandbox.simulator.conversations.values()  # type: ignore[union-attr]
    assert conversation.turns[1] == ("callee", "Please state your name and the reason for your call.")
    assert "on behalf of" in conversation.turns[2][1]
    after = (await stack.http.get(f"/api/candidates/{candidate['id']}")).json()
    assert after["fields"] == {"quota_attainment": "112%"} and after["missing_fields"] == []


async def test_the_silent_number_gets_no_simulated_callee(stack: Stack) -> None:
    """0116 stays the line a test plays itself (tests/integration/e2e/test_gap_filling_call.py)."""
    await _call(stack, "+12125550116", ["quota_attainment"])
    assert stack.sandbox.simulator.conversations == {}  # type: ignore[union-attr]


async def test_a_simulated_conversation_logs_no_name_number_or_answer(
    settings: Settings, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The conversation's turns, the candidate's name and number and the values collected stay out of log text, with
    our loggers and livekit-agents' at DEBUG (as `DIALER_LOG_LEVEL=DEBUG` runs them)."""
    caplog.set_level(logging.WARNING, logger="httpx")
    caplog.set_level(logging.INFO)
    for name in ("dialer", "api", "agent", "sandbox", "livekit.agents"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with running_stack(settings, clock, conversations=True, conversation_model=PolicyLLM,
                             conversation_clock=clock.now) as stack:
        created = await stack.http.post("/api/candidates", json={
            "external_id": "ats-1", "name": "Zebedee Quill", "phone": "+13125550104",
            "required_fields": ["quota_attainment", "current_employer"]})
        await stack.http.post("/api/batches", json={"candidate_ids": [created.json()["id"]]})
        await stack.dispatch()
        assert stack.sandbox.simulator is not None
        await stack.sandbox.simulator.wait_idle()
        after = (await stack.http.get(f"/api/candidates/{created.json()['id']}")).json()
        assert after["missing_fields"] == []
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "simulated conversation on sandbox call" in text, text
    for secret in ("Zebedee", "Quill", "Initech", "hundred and twelve", "112%", "3125550104", "speaking"):
        assert secret not in text, f"personal data leaked into the logs ({secret[:4]}…)"
