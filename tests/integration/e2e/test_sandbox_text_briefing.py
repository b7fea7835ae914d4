"""The sandbox's text briefing: no audio there, so the briefing page types its turns to the room's agent with the
join token the dialer hands out; the real BriefingAgent answers from the record through the agent API (here with
the deterministic briefing policy). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from livekit import api

from agent.policy_llm import PolicyLLM
from config.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from dialer.clock import ManualClock
from tests.stack import Stack, running_stack


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings, clock, conversations=True, conversation_model=PolicyLLM) as s:
        yield s


async def _briefing_token(stack: Stack) -> dict[str, Any]:
    candidate = await stack.http.post("/api/candidates", json={
        "external_id": "ada", "name": "Ada Lovelace", "phone": "+12125550101",
        "fields": {"quota_attainment": "112%", "notice_period_weeks": 4}})
    interviewer = await stack.http.post("/api/interviewers", json={"name": "Alan Turing"})
    interview = await stack.http.post("/api/interviews", json={
        "candidate_id": candidate.json()["id"], "interviewer_id": interviewer.json()["id"], "role": "Account Executive",
        "scheduled_at": "2026-12-02T17:00:00Z", "resume_summary": "Eight years of SaaS sales."})
    assert interview.status_code == 201, interview.text
    token = await stack.http.post("/api/voice/token", json={
        "mode": "briefing", "interview_id": interview.json()["id"], "user_name": "Alan Turing"})
    assert token.status_code == 200, token.text
    return dict(token.json())


def _chat_url(stack: Stack, room: str) -> str:
    return f"{stack.sandbox.url}/sandbox/chat/{room}"


async def test_the_briefing_agent_briefs_and_answers_from_the_record_in_text(stack: Stack) -> None:
    token = await _briefing_token(stack)
    room, bearer = token["room_name"], {"Authorization": f"Bearer {token['token']}"}
    async with httpx.AsyncClient(timeout=30) as http:
        opened = await http.post(_chat_url(stack, room), headers=bearer, json={})
        assert opened.status_code == 200, opened.text
        assert opened.headers["Access-Control-Allow-Origin"] == "*"
        (opening,) = opened.json()["replies"]
        assert "Ada Lovelace" in opening and "Eight years of SaaS sales." in opening and "quota attainment: 112%" in opening
        assert any(p.kind == 0 for p in stack.sandbox.participants[room].values())  # the browser's participant joined

        answer = await http.post(_chat_url(stack, room), headers=bearer, json={"text": "What was her quota attainment?"})
        assert answer.json()["replies"] == ["Quota attainment: 112%."]
        unknown = await http.post(_chat_url(stack, room), headers=bearer, json={"text": "Does she speak French?"})
        assert unknown.json()["replies"] == ["I don't know that: the record does not say."]

        left = await http.delete(_chat_url(stack, room), headers=bearer)
        assert left.status_code == 204
        assert room not in stack.sandbox.participants or not stack.sandbox.participants[room]


async def test_the_chat_checks_the_join_token_as_livekit_would(stack: Stack) -> None:
    token = await _briefing_token(stack)
    room = token["room_name"]
    other_room = (api.AccessToken(SANDBOX_API_KEY, SANDBOX_API_SECRET).with_identity("web-x")
                  .with_grants(api.VideoGrants(room_join=True, room="elsewhere")).to_jwt())
    forged = api.AccessToken(SANDBOX_API_KEY, "not-the-secret-0123456789abcdef-0123").with_identity("web-x").with_grants(
        api.VideoGrants(room_join=True, room=room)).to_jwt()
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.post(_chat_url(stack, room), json={})).status_code == 401
        refused = await http.post(_chat_url(stack, room), headers={"Authorization": f"Bearer {forged}"}, json={})
        assert refused.status_code == 401
        elsewhere = await http.post(_chat_url(stack, room), headers={"Authorization": f"Bearer {other_room}"}, json={})
        assert elsewhere.status_code == 403 and "roomJoin" in elsewhere.json()["detail"]
        too_long = await http.post(_chat_url(stack, room), headers={"Authorization": f"Bearer {token['token']}"},
                                   json={"text": "x" * 2001})
        assert too_long.status_code == 400 and "2000" in too_long.json()["detail"]
        preflight = await http.options(_chat_url(stack, room))
        assert preflight.status_code == 204 and "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
