"""`POST /api/voice/token` (the seed's contract) and session status, against the sandbox."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from livekit.api import TokenVerifier
from livekit.protocol.models import ParticipantInfo, Room
from livekit.protocol.webhook import WebhookEvent
from sqlalchemy import func, select

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.store.models import ReceivedWebhook
from sandbox.webhooks import CONTENT_TYPE, encode_webhook
from tests.stack import Stack, running_stack


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings, clock) as s:
        yield s


async def _interview(stack: Stack) -> dict[str, str]:
    candidate = (
        await stack.http.post(
            "/api/candidates",
            json={"external_id": "c1", "name": "Grace Hopper", "phone": "+12125550100", "required_fields": ["start_date"]},
        )
    ).json()
    interviewer = (await stack.http.post("/api/interviewers", json={"name": "Alan"})).json()
    interview = (
        await stack.http.post(
            "/api/interviews",
            json={"candidate_id": candidate["id"], "interviewer_id": interviewer["id"], "role": "AE", "scheduled_at": "2026-12-02T17:00:00Z"},
        )
    ).json()
    return {"candidate_id": candidate["id"], "interview_id": interview["id"], "room_name": interview["room_name"]}


def _dispatches(stack: Stack, room: str) -> list[Any]:
    return [r.request for r in stack.sandbox.requests_for("CreateRoom") if r.request.name == room][0].agents


def _unverified(token: str) -> dict[str, Any]:
    import jwt  # PyJWT ships with livekit-api

    return dict(jwt.decode(token, options={"verify_signature": False}))


def _claims(stack: Stack, token: str):  # type: ignore[no-untyped-def]
    lk = stack.runtime.livekit
    return TokenVerifier(lk.api_key, lk.api_secret).verify(token)


async def test_briefing_token_grants_one_room_and_dispatches_the_agent(stack: Stack) -> None:
    ids = await _interview(stack)
    response = await stack.http.post("/api/voice/token", json={"mode": "briefing", "room_name": ids["room_name"], "user_name": "Alan"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["room_name"] == ids["room_name"] and body["mode"] == "briefing"
    assert body["livekit_url"] == stack.sandbox.url.replace("http://", "ws://")
    claims = _claims(stack, body["token"])
    video = claims.video
    assert (video.room_join, video.room, video.can_publish, video.can_subscribe) == (True, ids["room_name"], True, True)
    assert not (video.room_admin or video.room_create or video.room_list or video.room_record)
    assert claims.sip is None or not (claims.sip.admin or claims.sip.call)
    assert claims.attributes == {"dialer.mode": "briefing", "dialer.interview_id": ids["interview_id"]}
    assert claims.name == "Alan" and claims.identity.startswith("web-")
    # No dialer credential in the browser's token (a JWT is readable by whoever holds it): the agent is dispatched
    # server-side, in the room's own configuration, before the token is handed out.
    assert claims.room_config is None or not claims.room_config.agents
    (dispatch,) = _dispatches(stack, ids["room_name"])
    assert dispatch.agent_name == stack.runtime.settings.agent_name
    metadata = json.loads(dispatch.metadata)
    assert metadata["mode"] == "briefing" and metadata["interview_id"] == ids["interview_id"] and metadata["token"]
    assert metadata["token"] not in body["token"] and metadata["token"] not in json.dumps(_unverified(body["token"]))
    # Minutes, not hours: the JWT itself expires within ten minutes.
    import jwt  # PyJWT ships with livekit-api

    exp = jwt.decode(body["token"], options={"verify_signature": False})["exp"]
    assert 0 < exp - time.time() <= 600

    by_id = await stack.http.post("/api/voice/token", json={"mode": "briefing", "interview_id": ids["interview_id"], "user_name": "Alan"})
    assert by_id.json()["room_name"] == ids["room_name"]


async def test_gap_filling_token_reserves_a_web_call_that_exists_once_someone_joins(stack: Stack) -> None:
    ids = await _interview(stack)
    response = await stack.http.post("/api/voice/token", json={"mode": "gap_filling", "candidate_id": ids["candidate_id"], "user_name": "Grace"})
    assert response.status_code == 200, response.text
    body = response.json()
    claims = _claims(stack, body["token"])
    call_id = claims.attributes["dialer.call_id"]
    assert claims.attributes["dialer.mode"] == "gap_filling" and claims.video.room == body["room_name"] == f"web-{call_id}"
    assert claims.room_config is None or not claims.room_config.agents
    (dispatch,) = _dispatches(stack, body["room_name"])
    metadata = json.loads(dispatch.metadata)
    assert metadata["call_id"] == call_id and metadata["candidate_id"] == ids["candidate_id"]
    assert metadata["token"] not in json.dumps(_unverified(body["token"]))
    # Nobody has joined: no call row yet (issue 12, item 18), so nothing in_call, no 409 for a phone call, no metric.
    assert (await stack.http.get(f"/api/calls/{call_id}")).status_code == 404
    status = (await stack.http.get(f"/api/voice/session/{body['room_name']}/status")).json()
    people = status.pop("participants")
    assert status == {
        "room_name": body["room_name"], "mode": "gap_filling", "state": "open", "call_id": call_id, "fields_collected": [],
    }
    assert [p["kind"] for p in people] == ["agent"]  # the sandbox's agent took the job; the browser has not joined
    assert 'dialer_calls{state="in_call"} 0.0' in (await stack.http.get("/metrics")).text

    # The browser joins: now the call exists, in_call, with the candidate's missing fields.
    attributes = {"dialer.mode": "gap_filling", "dialer.call_id": call_id}
    at = int(stack.clock.now().timestamp())
    assert await _send(stack, _event("participant_joined", body["room_name"], identity="web-grace", attributes=attributes, at=at)) == "applied"
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "in_call" and call["fields_to_ask"] == ["start_date"] and call["attempts"][0]["answered_at"]
    assert 'dialer_calls{state="in_call"} 1.0' in (await stack.http.get("/metrics")).text
    # The web call does not take a line from the SIP trunk.
    assert (await stack.http.get("/health")).status_code == 200


async def test_an_unused_gap_filling_token_leaves_no_call_behind(stack: Stack) -> None:
    ids = await _interview(stack)
    for _ in range(3):  # a page reloaded three times
        response = await stack.http.post("/api/voice/token", json={"mode": "gap_filling", "candidate_id": ids["candidate_id"], "user_name": "Grace"})
        assert response.status_code == 200
    assert (await stack.http.get("/api/calls", params={"candidate_id": ids["candidate_id"]})).json()["items"] == []
    placed = await stack.http.post("/api/calls", json={"candidate_id": ids["candidate_id"]})
    assert placed.status_code == 201, placed.text  # was 409: "a call to this candidate is already in progress"


async def test_the_agents_first_request_opens_the_reserved_web_call(stack: Stack) -> None:
    """The agent may ask for its context before LiveKit's participant_joined webhook arrives: that is a join too."""
    ids = await _interview(stack)
    body = (await stack.http.post("/api/voice/token", json={"mode": "gap_filling", "candidate_id": ids["candidate_id"], "user_name": "Grace"})).json()
    (dispatch,) = _dispatches(stack, body["room_name"])
    metadata = json.loads(dispatch.metadata)
    context = await stack.http.get(f"/api/agent/calls/{metadata['call_id']}/context", headers={"Authorization": f"Bearer {metadata['token']}"})
    assert context.status_code == 200, context.text
    assert [f["name"] for f in context.json()["fields"]] == ["start_date"]
    call = (await stack.http.get(f"/api/calls/{metadata['call_id']}")).json()
    assert call["state"] == "in_call" and call["room_name"] == body["room_name"]
    # An unknown or foreign call id opens nothing.
    other = await stack.http.get("/api/agent/calls/call_0000000000000000/context", headers={"Authorization": f"Bearer {metadata['token']}"})
    assert other.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"mode": "gap_filling", "user_name": "x"}, 400, "candidate_id required for gap_filling mode"),
        ({"mode": "briefing", "user_name": "x"}, 400, "room_name required for briefing mode"),
        ({"mode": "briefing", "room_name": "briefing-nope", "user_name": "x"}, 404, "no interview has room briefing-nope"),
        ({"mode": "gap_filling", "candidate_id": "cand_nope", "user_name": "x"}, 404, "candidate cand_nope not found"),
        ({"mode": "interview", "user_name": "x"}, 422, "mode"),
    ],
)
async def test_token_errors(stack: Stack, body: dict[str, str], status: int, detail: str) -> None:
    response = await stack.http.post("/api/voice/token", json=body)
    assert response.status_code == status
    assert detail in response.json()["detail"]


async def test_token_needs_the_api_key(stack: Stack) -> None:
    response = await stack.http.post("/api/voice/token", json={"mode": "briefing", "room_name": "x", "user_name": "x"}, headers={"Authorization": ""})
    assert response.status_code == 401


async def test_status_of_unknown_room_is_404(stack: Stack) -> None:
    assert (await stack.http.get("/api/voice/session/nope/status")).status_code == 404


def _event(kind: str, room: str, *, identity: str, attributes: dict[str, str], at: int) -> WebhookEvent:
    participant = ParticipantInfo(identity=identity, kind=ParticipantInfo.Kind.STANDARD, attributes=attributes)
    return WebhookEvent(event=kind, id=f"EV_{kind}_{identity}", created_at=at, room=Room(name=room), participant=participant)


async def _send(stack: Stack, event: WebhookEvent) -> str:
    lk = stack.runtime.livekit
    body, token = encode_webhook(event, api_key=lk.api_key, api_secret=lk.api_secret)
    response = await stack.http.post("/api/livekit/webhook", content=body, headers={"Authorization": token, "Content-Type": CONTENT_TYPE})
    assert response.status_code == 200, response.text
    return str(response.json()["result"])


@pytest.mark.parametrize("agent_in_the_room", [True, False])
async def test_briefing_session_ends_when_the_last_human_leaves(stack: Stack, agent_in_the_room: bool) -> None:
    """The end is recorded at once; the room is closed only with nobody in it, never under an agent that is
    closing its own session (LiveKit closes a room holding only agents after its departure time-out)."""
    assert stack.sandbox.agents is not None
    stack.sandbox.agents.available = agent_in_the_room
    ids = await _interview(stack)
    body = (await stack.http.post("/api/voice/token", json={"mode": "briefing", "interview_id": ids["interview_id"], "user_name": "Alan"})).json()
    room = body["room_name"]
    kinds = [p.kind for p in stack.sandbox.participants.get(room, {}).values()]
    assert kinds == ([ParticipantInfo.Kind.AGENT] if agent_in_the_room else [])
    assert (await stack.http.get(f"/api/voice/session/{room}/status")).json()["state"] == "open"
    at = int(stack.clock.now().timestamp())
    left = _event("participant_left", room, identity="web-alan", attributes={"dialer.mode": "briefing"}, at=at)
    assert await _send(stack, left) == "applied"
    assert (await stack.http.get(f"/api/voice/session/{room}/status")).json()["state"] == "ended"
    closed = [r.request.room for r in stack.sandbox.requests_for("DeleteRoom")]
    assert closed == ([] if agent_in_the_room else [room])


async def test_an_agent_coming_and_going_costs_no_transaction(stack: Stack) -> None:
    """Two of every call's webhooks: they change nothing, so nothing is written (not even the duplicate guard)."""
    ids = await _interview(stack)
    room = (await stack.http.post("/api/voice/token", json={"mode": "briefing", "interview_id": ids["interview_id"], "user_name": "Alan"})).json()["room_name"]
    agent = ParticipantInfo(identity="agent-AJ_x", kind=ParticipantInfo.Kind.AGENT)
    at = int(stack.clock.now().timestamp())
    for kind in ("participant_joined", "participant_left"):
        event = WebhookEvent(event=kind, id=f"EV_agent_{kind}", created_at=at, room=Room(name=room), participant=agent)
        assert await _send(stack, event) == "ignored"
    async with stack.runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReceivedWebhook)) == 0
    assert (await stack.http.get(f"/api/voice/session/{room}/status")).json()["state"] == "open"


async def test_a_phone_leg_joining_before_its_answer_costs_no_transaction(stack: Stack) -> None:
    """livekit-sip joins the callee's leg as it dials: every call's third webhook, and it changes nothing."""
    at = int(stack.clock.now().timestamp())

    def leg_joined(status: str, event_id: str) -> WebhookEvent:
        leg = ParticipantInfo(identity="callee-call_x", kind=ParticipantInfo.Kind.SIP,
                              attributes={"sip.callStatus": status})
        return WebhookEvent(event="participant_joined", id=event_id, created_at=at, room=Room(name="call-call_x-1"),
                            participant=leg)

    assert await _send(stack, leg_joined("dialing", "EV_dialing")) == "ignored"
    async with stack.runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReceivedWebhook)) == 0
    await _send(stack, leg_joined("active", "EV_active"))  # an answer: judged, and its id kept against replays
    async with stack.runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReceivedWebhook)) == 1


async def test_web_gap_filling_call_is_answered_on_join_and_completed_on_leave(stack: Stack) -> None:
    ids = await _interview(stack)
    body = (await stack.http.post("/api/voice/token", json={"mode": "gap_filling", "candidate_id": ids["candidate_id"], "user_name": "Grace"})).json()
    call_id = body["room_name"].removeprefix("web-")
    attributes = {"dialer.mode": "gap_filling", "dialer.call_id": call_id}
    at = int(stack.clock.now().timestamp())
    assert await _send(stack, _event("participant_joined", body["room_name"], identity="web-grace", attributes=attributes, at=at)) == "applied"
    assert await _send(stack, _event("participant_left", body["room_name"], identity="web-grace", attributes=attributes, at=at + 95)) == "applied"
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    # Its one attempt saved nothing: not a success.
    assert call["state"] == "failed" and call["last_outcome"] == "nothing_collected"
    assert call["attempts"][0]["duration_s"] == 95
    assert [r.request.room for r in stack.sandbox.requests_for("DeleteRoom")] == [body["room_name"]]
    assert (await stack.http.get(f"/api/voice/session/{body['room_name']}/status")).json()["state"] == "failed"
