"""The agent's API, opened only by a call's own credential, and the signed webhooks out that report the call."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.receiver import Receiver
from tests.stack import Stack, running_stack

SECRET = "webhook-secret"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock, receiver: Receiver) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "webhook_url": receiver.url, "webhook_secret": SECRET})
    async with running_stack(tuned, clock) as s:
        yield s


async def _answered_call(stack: Stack, phone: str = "+12125550116") -> tuple[str, str, str]:
    """A batch of one candidate whose phone answers; returns (call id, its credential, room)."""
    candidate = (
        await stack.http.post(
            "/api/candidates",
            json={"external_id": phone, "name": "Ada", "phone": phone, "required_fields": ["start_date", "expected_salary", "quota_attainment"]},
        )
    ).json()
    await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})
    await stack.dispatch()
    metadata = json.loads(stack.sandbox.dispatches[-1].metadata)
    call = (await stack.http.get(f"/api/calls/{metadata['call_id']}")).json()
    assert call["state"] == "in_call"
    return metadata["call_id"], metadata["token"], call["room_name"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_credential_opens_only_its_own_call(stack: Stack) -> None:
    call_id, token, _ = await _answered_call(stack)
    other_id, other_token, _ = await _answered_call(stack, "+13125550116")
    ok = await stack.http.get(f"/api/agent/calls/{call_id}/context", headers=_bearer(token))
    assert ok.status_code == 200
    context = ok.json()
    assert [f["name"] for f in context["fields"]] == ["start_date", "expected_salary", "quota_attainment"]
    assert context["fields"][0]["type"] == "date" and context["candidate"]["timezone"] == "America/New_York"
    assert "phone" not in json.dumps(context)
    assert (await stack.http.get(f"/api/agent/calls/{call_id}/context", headers=_bearer(other_token))).status_code == 401
    assert (await stack.http.get(f"/api/agent/calls/{call_id}/context", headers=_bearer(token[:-2] + "xx"))).status_code == 401
    assert (await stack.http.get(f"/api/agent/calls/{call_id}/context", headers={"Authorization": ""})).status_code == 401
    # The recruiters' API key does not open the agent's routes, and the call credential does not open theirs.
    assert (await stack.http.get(f"/api/agent/calls/{call_id}/context")).status_code == 401
    assert (await stack.http.get(f"/api/calls/{other_id}", headers=_bearer(other_token))).status_code == 401


async def test_fields_are_validated_saved_and_reported(stack: Stack, receiver: Receiver) -> None:
    call_id, token, room = await _answered_call(stack)
    url = f"/api/agent/calls/{call_id}/fields"
    bad = await stack.http.post(url, json={"name": "quota_attainment", "value": "pretty good", "source_text": "pretty good"}, headers=_bearer(token))
    assert bad.status_code == 422 and "percent" in bad.json()["detail"].lower()
    foreign = await stack.http.post(url, json={"name": "shoe_size", "value": "9"}, headers=_bearer(token))
    assert foreign.status_code == 409
    saved = await stack.http.post(
        url, json={"name": "quota_attainment", "value": "a hundred and twelve percent", "source_text": "about a hundred and twelve percent"}, headers=_bearer(token)
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["value"] == "112%" and saved.json()["missing_fields"] == ["start_date", "expected_salary"]
    declined = await stack.http.post(url, json={"name": "expected_salary", "status": "declined", "source_text": "I'd rather not say"}, headers=_bearer(token))
    assert declined.json()["missing_fields"] == ["start_date", "expected_salary"]
    turns = {"turns": [{"role": "agent", "text": "Hi Ada", "at": "2026-12-02T15:00:01Z"}, {"role": "callee", "text": "Hello", "at": "2026-12-02T15:00:02Z"}]}
    assert (await stack.http.post(f"/api/agent/calls/{call_id}/transcript", json=turns, headers=_bearer(token))).status_code == 204

    candidate = (await stack.http.get(f"/api/calls/{call_id}")).json()["candidate_id"]
    assert (await stack.http.get(f"/api/candidates/{candidate}")).json()["fields"] == {"quota_attainment": "112%"}

    stack.clock.advance(timedelta(seconds=65))
    await stack.hang_up(room)
    stack.clock.advance(timedelta(seconds=10))
    await stack.runtime.outbox.run_once()
    assert sorted(d["data"]["field"] for d in receiver.of_type("fields.collected")) == ["expected_salary", "quota_attainment"]
    (ended,) = receiver.of_type("call.ended")
    # start_date was never asked: the call is retried for it.
    assert ended["data"]["outcome"] == "partially_collected" and ended["data"]["duration_s"] == 65
    assert ended["data"]["call_state"] == "scheduled"
    (report,) = receiver.of_type("call.report")
    data = report["data"]
    assert data["outcome"] == "partially_collected" and data["duration_s"] == 65
    assert data["fields_collected"][0] == {"name": "quota_attainment", "value": "112%", "status": "answered", "source_text": "about a hundred and twelve percent"}
    assert [t["text"] for t in data["transcript"]] == ["Hi Ada", "Hello"]
    for _, body, headers in receiver.deliveries:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Dialer-Signature"] == expected
    assert len({d["id"] for d, _, _ in receiver.deliveries}) == len(receiver.deliveries)


async def test_failed_webhook_is_retried_with_backoff(stack: Stack, receiver: Receiver) -> None:
    _, _, room = await _answered_call(stack)
    receiver.statuses = [500]
    await stack.hang_up(room)
    await stack.runtime.outbox.run_once()
    assert receiver.of_type("call.ended") == []
    stack.clock.advance(timedelta(seconds=5))
    await stack.runtime.outbox.run_once()
    assert receiver.of_type("call.ended") == []  # not before its backoff (10 s)
    stack.clock.advance(timedelta(seconds=6))
    await stack.runtime.outbox.run_once()
    assert len(receiver.of_type("call.ended")) == 1


async def test_callback_do_not_call_and_voicemail(stack: Stack) -> None:
    call_id, token, room = await _answered_call(stack)
    url = f"/api/agent/calls/{call_id}/callback"
    late = await stack.http.post(url, json={"at_local": "2026-12-03T22:00"}, headers=_bearer(token))
    assert late.status_code == 422 and "outside calling hours" in late.json()["detail"]
    ok = await stack.http.post(url, json={"at_local": "2026-12-03T15:00"}, headers=_bearer(token))
    assert ok.status_code == 200 and ok.json()["scheduled_at"] == "2026-12-03T20:00:00+00:00"
    await stack.hang_up(room)
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "scheduled" and call["next_attempt_at"] == "2026-12-03T20:00:00Z"

    refused = await stack.http.post(f"/api/agent/calls/{call_id}/transfer-failed", json={"sip_status": 603},
                                    headers=_bearer(token))
    assert refused.status_code == 204
    trail = (await stack.http.get(f"/api/calls/{call_id}")).json()["decisions"]
    assert [d["reason"] for d in trail if d["code"] == "transfer_failed"] == [
        "the transfer to a person did not go through (SIP 603); the candidate stayed on the line"]
    bad = await stack.http.post(f"/api/agent/calls/{call_id}/transfer-failed", json={"sip_status": 42},
                                headers=_bearer(token))
    assert bad.status_code == 422

    dnc_id, dnc_token, dnc_room = await _answered_call(stack, "+13125550116")
    assert (await stack.http.post(f"/api/agent/calls/{dnc_id}/do-not-call", json={"reason": "asked"}, headers=_bearer(dnc_token))).status_code == 204
    await stack.hang_up(dnc_room)
    assert (await stack.http.delete("/api/dnc/+13125550116")).status_code == 204  # it was on the list
    dnc_call = (await stack.http.get(f"/api/calls/{dnc_id}")).json()
    assert dnc_call["state"] == "completed"
    candidate = (await stack.http.get(f"/api/candidates/{dnc_call['candidate_id']}")).json()
    assert candidate["consent"]["withdrawn_at"] is not None and candidate["consent"]["given"] is False

    vm_id, vm_token, _ = await _answered_call(stack, "+13125550115")
    ended = await stack.http.post(f"/api/agent/calls/{vm_id}/end", json={"outcome": "voicemail", "reason": "machine"}, headers=_bearer(vm_token))
    assert ended.status_code == 204
    await stack.sandbox.drain_webhooks()  # ending deletes the room; room_finished comes back
    call = (await stack.http.get(f"/api/calls/{vm_id}")).json()
    assert call["attempts"][0]["outcome"] == "voicemail"
    assert call["state"] == "scheduled" and call["decisions"][-1]["code"] == "retry"


async def test_the_credential_dies_with_its_call(stack: Stack) -> None:
    """It wrote fields, transcript and callbacks after the call was completed (issue #13); now only a short grace
    after the hang-up carries the last turns in, then nothing."""
    call_id, token, room = await _answered_call(stack)
    turn = {"turns": [{"role": "callee", "text": "bye", "at": stack.clock.now().isoformat()}]}
    await stack.hang_up(room)
    assert (await stack.http.get(f"/api/calls/{call_id}")).json()["attempts"][0]["ended_at"] is not None
    late = await stack.http.post(f"/api/agent/calls/{call_id}/transcript", json=turn, headers=_bearer(token))
    assert late.status_code == 204  # the last words, just after the hang-up
    stack.clock.advance(timedelta(seconds=61))
    for method, path, body in (
        ("POST", "fields", {"name": "start_date", "value": "next monday", "status": "answered"}),
        ("POST", "transcript", turn),
        ("POST", "callback", {"at_local": "2026-12-03T15:00:00"}),
        ("POST", "do-not-call", {}),
        ("POST", "end", {"outcome": "voicemail"}),
        ("GET", "context", None),
    ):
        response = await stack.http.request(method, f"/api/agent/calls/{call_id}/{path}", json=body, headers=_bearer(token))
        assert response.status_code == 401 and "ended" in response.json()["detail"], (path, response.text)
