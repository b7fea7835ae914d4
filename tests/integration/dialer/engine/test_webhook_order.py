"""LiveKit webhooks late, twice and out of order (SQLite and PostgreSQL).

The sandbox's own deliveries go to a path that answers 404 (held back); the test then delivers the sandbox's
signed events itself, in the order it chooses. The outcome must not depend on that order, and each attempt ends
once: one `call.ended` event out per attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from livekit.protocol.webhook import WebhookEvent
from sqlalchemy import func, select

from config.settings import Settings
from dialer.clock import ManualClock
from sandbox.webhooks import CONTENT_TYPE, encode_webhook
from dialer.store.models import OutboxEvent
from tests.stack import Stack, running_stack

ANSWERS = "+12125550116"  # answers, stays on until hung up
NO_ANSWER = "+12125550111"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0})
    async with running_stack(tuned, clock, webhook_path="/held-back") as s:
        yield s
        await s.sandbox.drain_webhooks()


async def _deliver(stack: Stack, event: WebhookEvent) -> str:
    lk = stack.runtime.livekit
    body, token = encode_webhook(event, api_key=lk.api_key, api_secret=lk.api_secret)
    response = await stack.http.post(
        "/api/livekit/webhook", content=body, headers={"Authorization": token, "Content-Type": CONTENT_TYPE}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["result"])


def _events(stack: Stack, room: str, kind: str) -> list[WebhookEvent]:
    return [e for e in stack.sandbox.webhook_events if e.room.name == room and e.event == kind]


async def _candidate(stack: Stack, phone: str) -> str:
    body = {"external_id": "ext-1", "name": "Ada", "phone": phone, "required_fields": ["start_date"]}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def _call(stack: Stack, call_id: str) -> dict[str, Any]:
    call: dict[str, Any] = (await stack.http.get(f"/api/calls/{call_id}")).json()
    return call


async def _calls_ended_out(stack: Stack) -> int:
    async with stack.runtime.db.transaction() as session:
        query = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind == "call.ended")
        return int(await session.scalar(query) or 0)


async def test_left_before_joined_late_and_twice_still_ends_the_call_once(stack: Stack, clock: ManualClock) -> None:
    candidate = await _candidate(stack, ANSWERS)
    call_id = (await stack.http.post("/api/calls", json={"candidate_id": candidate})).json()["id"]
    await stack.dispatch()
    call = await _call(stack, call_id)
    room = call["room_name"]
    assert call["state"] == "in_call"  # from the SIP answer itself; no webhook has arrived
    clock.advance(timedelta(seconds=42))
    await stack.sandbox.hang_up(room)
    clock.advance(timedelta(minutes=10))  # the webhooks arrive ten minutes late

    (left,) = _events(stack, room, "participant_left")
    (joined,) = [e for e in _events(stack, room, "participant_joined") if e.participant.identity.startswith("callee-")]
    (finished,) = _events(stack, room, "room_finished")
    assert await _deliver(stack, left) == "applied"
    call = await _call(stack, call_id)
    assert call["state"] == "scheduled" and call["last_outcome"] == "nothing_collected"  # answered, nothing saved
    assert call["attempts"][0]["duration_s"] == 42  # the event's own time, not its arrival
    assert joined.participant.attributes["sip.callStatus"] != "active"  # it joined as it was dialled
    for event in (joined, finished, left, joined, finished):
        expected = ("ignored",) if event is joined else ("applied", "duplicate")  # a leg before its answer: nothing
        assert await _deliver(stack, event) in expected
    call = await _call(stack, call_id)
    assert call["state"] == "scheduled" and len(call["attempts"]) == 1
    assert call["attempts"][0]["outcome"] == "nothing_collected" and call["attempts"][0]["duration_s"] == 42
    assert await _calls_ended_out(stack) == 1
    assert len(stack.sandbox.requests_for("CreateSIPParticipant")) == 1


async def test_room_finished_first_then_the_rest_reversed(stack: Stack, clock: ManualClock) -> None:
    candidate = await _candidate(stack, ANSWERS)
    call_id = (await stack.http.post("/api/calls", json={"candidate_id": candidate})).json()["id"]
    await stack.dispatch()
    room = (await _call(stack, call_id))["room_name"]
    clock.advance(timedelta(seconds=7))
    await stack.sandbox.hang_up(room)
    events = [e for e in stack.sandbox.webhook_events if e.room.name == room]
    assert [e.event for e in events][-2:] == ["participant_left", "room_finished"]
    results = [await _deliver(stack, e) for e in reversed(events)]
    assert results[0] == "applied"
    call = await _call(stack, call_id)
    assert call["state"] == "scheduled" and call["attempts"][0]["duration_s"] == 7
    assert await _calls_ended_out(stack) == 1


async def test_a_late_webhook_from_the_first_attempt_does_not_touch_the_second(
    stack: Stack, clock: ManualClock
) -> None:
    candidate = await _candidate(stack, NO_ANSWER)
    call_id = (await stack.http.post("/api/calls", json={"candidate_id": candidate})).json()["id"]
    await stack.dispatch()
    first = await _call(stack, call_id)
    assert first["state"] == "scheduled" and first["attempts"][0]["outcome"] == "no_answer"
    first_room = first["room_name"]
    held = [e for e in stack.sandbox.webhook_events if e.room.name == first_room]
    assert {"participant_joined", "participant_left", "room_finished"} <= {e.event for e in held}

    await _candidate(stack, ANSWERS)  # the recruiter fixed the number before the retry
    clock.advance(timedelta(hours=2))
    await stack.dispatch()
    second = await _call(stack, call_id)
    assert second["state"] == "in_call" and second["room_name"] != first_room

    for event in held + held:  # the first attempt's webhooks, late and twice
        await _deliver(stack, event)
    second = await _call(stack, call_id)
    assert second["state"] == "in_call" and [a["outcome"] for a in second["attempts"]] == ["no_answer", None]

    clock.advance(timedelta(seconds=15))
    await stack.sandbox.hang_up(second["room_name"])
    for event in [e for e in stack.sandbox.webhook_events if e.room.name == second["room_name"]] * 2:
        await _deliver(stack, event)
    second = await _call(stack, call_id)
    assert second["state"] == "scheduled"  # answered, nothing saved: retried
    assert [a["outcome"] for a in second["attempts"]] == ["no_answer", "nothing_collected"]
    assert second["attempts"][1]["duration_s"] == 15
    assert await _calls_ended_out(stack) == 2
    rooms = [getattr(r.request, "room_name") for r in stack.sandbox.requests_for("CreateSIPParticipant")]
    assert rooms == [first_room, second["room_name"]]
