"""The dialer engine end to end over the wire: HTTP API → store → dispatcher → livekit-api → sandbox → webhooks.

Runs on SQLite and PostgreSQL. The clock is manual (T0 = Wednesday 15:00 UTC: 10:00 New York, 09:00 Chicago,
07:00 Los Angeles), so "inside the window" is exact, not a matter of when the test happens to run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from sandbox.webhooks import CONTENT_TYPE, encode_webhook
from tests.stack import Stack, running_stack
from tests.support import T0

NY_ANSWERS = "+12125550116"  # answers and stays on until hung up
CHICAGO_BUSY = "+13125550110"
LA_ANSWERS = "+12135550116"  # 07:00 local at T0: outside the window
NY_DNC = "+12125550100"
NY_INVALID = "+12125550113"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "max_concurrent_calls": 10})
    async with running_stack(tuned, clock) as s:
        yield s


async def _candidate(stack: Stack, external_id: str, phone: str, **extra: object) -> str:
    body = {"external_id": external_id, "name": external_id.title(), "phone": phone, "required_fields": ["start_date"], **extra}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _calls(stack: Stack, batch_id: str) -> dict[str, dict[str, object]]:
    response = await stack.http.get("/api/calls", params={"batch_id": batch_id})
    assert response.status_code == 200, response.text
    return {c["candidate_id"]: c for c in response.json()["items"]}


async def _collect_start_date(stack: Stack, metadata: dict[str, str]) -> None:
    """What the agent does on an answered call: save the one field the candidate is missing."""
    saved = await stack.http.post(
        f"/api/agent/calls/{metadata['call_id']}/fields",
        json={"name": "start_date", "value": "next monday", "status": "answered", "source_text": "next monday"},
        headers={"Authorization": f"Bearer {metadata['token']}"},
    )
    assert saved.status_code == 200, saved.text


async def test_batch_follows_the_calling_rules_and_finishes_with_the_right_counts(stack: Stack) -> None:
    ny = await _candidate(stack, "ny", NY_ANSWERS)
    chicago = await _candidate(stack, "chicago", CHICAGO_BUSY)
    la = await _candidate(stack, "la", LA_ANSWERS)
    dnc = await _candidate(stack, "dnc", NY_DNC)
    done = await _candidate(stack, "done", NY_ANSWERS.replace("0116", "0101"), fields={"start_date": "2027-01-04"})
    assert (await stack.http.post("/api/dnc", json={"phone": NY_DNC, "reason": "asked by email"})).status_code == 201

    created = await stack.http.post(
        "/api/batches", json={"candidate_ids": [ny, chicago, la, dnc, done], "name": "Q4", "max_attempts": 2}
    )
    assert created.status_code == 201, created.text
    batch_id = created.json()["id"]
    assert created.json()["counts"]["scheduled"] == 5

    await stack.dispatch()
    assert sorted(stack.dialled_numbers()) == sorted([NY_ANSWERS, CHICAGO_BUSY])
    calls = await _calls(stack, batch_id)
    assert calls[ny]["state"] == "in_call" and calls[ny]["candidate_name"] == "Ny"
    assert calls[chicago]["state"] == "scheduled"
    assert calls[chicago]["attempts"][0]["outcome"] == "busy"
    assert calls[chicago]["attempts"][0]["sip_status_code"] == 486
    assert calls[chicago]["next_attempt_at"] == (T0 + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
    assert calls[la]["state"] == "scheduled"
    assert calls[la]["next_attempt_at"] == "2026-12-02T17:00:00Z"  # 09:00 in Los Angeles
    assert calls[la]["decisions"][-1]["code"] == "outside_window"
    assert calls[dnc]["state"] == "failed" and calls[dnc]["decisions"][-1]["code"] == "do_not_call"
    assert calls[done]["state"] == "failed" and calls[done]["decisions"][-1]["code"] == "nothing_missing"

    # The agent dispatch and the SIP participant carry mode and ids; the credential only in dispatch metadata.
    dispatch = stack.sandbox.dispatches[-1] if stack.sandbox.dispatches[-1].room.startswith(f"call-{calls[ny]['id']}") else stack.sandbox.dispatches[0]
    metadata = json.loads(dispatch.metadata)
    assert metadata["mode"] == "gap_filling" and metadata["call_id"] == calls[ny]["id"] and metadata["token"]
    sip = next(r.request for r in stack.sandbox.requests_for("CreateSIPParticipant") if r.request.sip_call_to == NY_ANSWERS)
    assert dict(sip.participant_attributes) == {"dialer.mode": "gap_filling", "dialer.call_id": calls[ny]["id"]}
    assert sip.sip_trunk_id == stack.runtime.settings.sip_outbound_trunk_id
    assert sip.wait_until_answered and sip.ringing_timeout.seconds == 30 and sip.max_call_duration.seconds == 600

    # The candidate gives the start date and hangs up after 42 s: the webhook completes the call with its duration.
    await _collect_start_date(stack, metadata)
    stack.clock.advance(timedelta(seconds=42))
    await stack.hang_up(str(calls[ny]["room_name"]))
    calls = await _calls(stack, batch_id)
    assert calls[ny]["state"] == "completed"
    assert calls[ny]["attempts"][0]["outcome"] == "answered"
    assert calls[ny]["attempts"][0]["duration_s"] == 42

    # Fifteen minutes later the busy number is retried, is busy again, and has no attempts left.
    stack.clock.advance(timedelta(minutes=15))
    await stack.dispatch()
    calls = await _calls(stack, batch_id)
    assert calls[chicago]["state"] == "failed"
    assert [a["outcome"] for a in calls[chicago]["attempts"]] == ["busy", "busy"]
    assert calls[chicago]["decisions"][-1]["code"] == "max_attempts"

    # At 09:00 in Los Angeles its candidate is rung.
    stack.clock.set(datetime.fromisoformat("2026-12-02T17:00:00+00:00"))
    await stack.dispatch()
    calls = await _calls(stack, batch_id)
    assert calls[la]["state"] == "in_call"
    await _collect_start_date(stack, json.loads(stack.sandbox.dispatches[-1].metadata))
    await stack.hang_up(str(calls[la]["room_name"]))

    assert stack.dialled_numbers().count(CHICAGO_BUSY) == 2
    assert NY_DNC not in stack.dialled_numbers()
    batch = (await stack.http.get(f"/api/batches/{batch_id}")).json()
    assert batch["status"] == "completed"
    assert batch["counts"] == {"scheduled": 0, "dialing": 0, "in_call": 0, "completed": 2, "failed": 3, "cancelled": 0}


async def test_cancelled_batch_never_dials_and_paused_batch_waits(stack: Stack) -> None:
    first = await _candidate(stack, "a", NY_ANSWERS)
    second = await _candidate(stack, "b", CHICAGO_BUSY)
    cancelled = (await stack.http.post("/api/batches", json={"candidate_ids": [first]})).json()["id"]
    paused = (await stack.http.post("/api/batches", json={"candidate_ids": [second]})).json()["id"]
    assert (await stack.http.post(f"/api/batches/{cancelled}/cancel")).json()["status"] == "cancelled"
    assert (await stack.http.post(f"/api/batches/{paused}/pause")).json()["status"] == "paused"
    await stack.dispatch()
    assert stack.dialled_numbers() == []
    resume_cancelled = await stack.http.post(f"/api/batches/{cancelled}/resume")
    assert resume_cancelled.status_code == 409
    assert (await stack.http.post(f"/api/batches/{paused}/resume")).json()["status"] == "active"
    await stack.dispatch()
    assert stack.dialled_numbers() == [CHICAGO_BUSY]
    assert (await stack.http.get(f"/api/batches/{cancelled}")).json()["counts"]["cancelled"] == 1


async def test_invalid_number_is_never_retried_and_call_now_respects_rules(stack: Stack) -> None:
    invalid = await _candidate(stack, "invalid", NY_INVALID)
    response = await stack.http.post("/api/calls", json={"candidate_id": invalid})
    assert response.status_code == 201, response.text
    call_id = response.json()["id"]
    second = await stack.http.post("/api/calls", json={"candidate_id": invalid})
    assert second.status_code == 409  # one open call per candidate
    await stack.dispatch()
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "failed"
    assert call["attempts"][0]["outcome"] == "invalid_number" and call["attempts"][0]["sip_status_code"] == 404
    stack.clock.advance(timedelta(days=2))
    await stack.dispatch()
    assert stack.dialled_numbers() == [NY_INVALID]

    la = await _candidate(stack, "la", LA_ANSWERS)
    early = (await stack.http.post("/api/calls", json={"candidate_id": la})).json()
    await stack.dispatch()
    assert LA_ANSWERS not in stack.dialled_numbers()  # 2026-12-04 15:00 UTC is 07:00 in Los Angeles
    assert (await stack.http.get(f"/api/calls/{early['id']}")).json()["decisions"][-1]["code"] == "outside_window"


async def test_idempotency_key_and_batch_validation(stack: Stack) -> None:
    cid = await _candidate(stack, "a", NY_ANSWERS)
    headers = {"Idempotency-Key": "upload-7"}
    first = await stack.http.post("/api/batches", json={"candidate_ids": [cid]}, headers=headers)
    again = await stack.http.post("/api/batches", json={"candidate_ids": [cid]}, headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = await stack.http.post("/api/batches", json={"candidate_ids": [cid], "name": "x"}, headers=headers)
    assert other.status_code == 409
    assert (await stack.http.get("/api/calls")).json()["items"].__len__() == 1

    for body, fragment in [
        ({"candidate_ids": []}, "candidate_ids"),
        ({"candidate_ids": [cid, cid]}, "listed twice"),
        ({"candidate_ids": ["cand_nope"]}, "unknown candidate cand_nope"),
        ({"candidate_ids": [cid], "not_before": "2026-12-03T10:00:00Z", "not_after": "2026-12-02T10:00:00Z"}, "later"),
        ({"candidate_ids": [cid], "max_attempts": 0}, "max_attempts"),
    ]:
        response = await stack.http.post("/api/batches", json=body)
        assert response.status_code == 422, (body, response.text)
        assert fragment in response.text
    assert len((await stack.http.get("/api/calls")).json()["items"]) == 1  # nothing half-written


async def test_dialling_record_is_committed_before_the_sip_request(stack: Stack) -> None:
    """Kill the SIP request mid-flight: the attempt was already committed, so nothing dials it again."""
    cid = await _candidate(stack, "a", NY_ANSWERS)
    batch_id = (await stack.http.post("/api/batches", json={"candidate_ids": [cid]})).json()["id"]
    telephony = stack.runtime.telephony
    seen_committed: list[str] = []
    in_flight = asyncio.Event()
    real_dial = telephony.place  # the SIP request itself (the room is prepared before it)

    async def dial_then_die(request):  # type: ignore[no-untyped-def]
        # Read through another connection: only committed data is visible there.
        call = (await stack.http.get(f"/api/calls/{request.call_id}")).json()
        seen_committed.append(call["state"])
        assert call["attempts"][0]["started_at"]
        in_flight.set()
        await asyncio.Event().wait()  # the process "dies" here, before LiveKit answers
        return await real_dial(request)

    telephony.place = dial_then_die  # type: ignore[method-assign]
    await stack.runtime.dispatcher.run_once()
    await in_flight.wait()
    for task in list(stack.runtime.dispatcher._tasks):
        task.cancel()
    await stack.runtime.dispatcher.drain()
    telephony.place = real_dial  # type: ignore[method-assign]
    assert seen_committed == ["dialing"]

    await stack.dispatch()  # a new run does not touch a call that is dialling
    assert stack.dialled_numbers() == []
    call = next(iter((await _calls(stack, batch_id)).values()))
    assert call["state"] == "dialing" and len(call["attempts"]) == 1

    # After the lease, the reconciler asks LiveKit: no callee in the room, so the attempt ends as an error and is
    # retried later by the normal rules (5 minutes), not re-dialled on the spot.
    stack.clock.advance(timedelta(seconds=30 + 120 + 1))
    assert await stack.runtime.reconciler.run_once() == 1
    call = next(iter((await _calls(stack, batch_id)).values()))
    assert call["state"] == "scheduled" and call["attempts"][0]["outcome"] == "error"
    await stack.dispatch()
    assert stack.dialled_numbers() == []


async def test_webhooks_are_verified_idempotent_and_safe_out_of_order(stack: Stack) -> None:
    unsigned = await stack.http.post("/api/livekit/webhook", content=b"{}", headers={"Content-Type": "application/webhook+json"})
    assert unsigned.status_code == 401
    cid = await _candidate(stack, "a", NY_ANSWERS)
    batch_id = (await stack.http.post("/api/batches", json={"candidate_ids": [cid]})).json()["id"]
    await stack.dispatch()
    stack.clock.advance(timedelta(seconds=20))
    call = next(iter((await _calls(stack, batch_id)).values()))
    await stack.hang_up(str(call["room_name"]))
    events = [d.event for d in stack.sandbox.webhook_deliveries if d.delivered]
    assert [e.event for e in events if e.event != "room_started"][:1] == ["participant_joined"]
    key, secret = stack.runtime.livekit.api_key, stack.runtime.livekit.api_secret
    # Replay every delivered webhook, newest first: duplicates and reordering change nothing.
    for event in reversed(events):
        body, token = encode_webhook(event, api_key=key, api_secret=secret)
        replay = await stack.http.post(
            "/api/livekit/webhook", content=body, headers={"Authorization": token, "Content-Type": CONTENT_TYPE}
        )
        assert replay.status_code == 200 and replay.json()["result"] in ("duplicate", "ignored"), replay.text
    body, token = encode_webhook(events[-1], api_key=key, api_secret=secret)
    forged = await stack.http.post(
        "/api/livekit/webhook", content=body.replace("room_finished", "participant_left"), headers={"Authorization": token}
    )
    assert forged.status_code == 401
    wrong_key = await stack.http.post(
        "/api/livekit/webhook", content=body, headers={"Authorization": encode_webhook(events[-1], api_key=key, api_secret="x" * 40)[1]}
    )
    assert wrong_key.status_code == 401
    call = next(iter((await _calls(stack, batch_id)).values()))
    assert call["last_outcome"] == "nothing_collected" and call["attempts"][0]["duration_s"] == 20
