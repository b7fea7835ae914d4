"""An answered call is a success only when every field it asks was collected: otherwise its attempt is
`partially_collected` or `nothing_collected`, the call is retried for what is still missing, and the batch's counts,
the API and /metrics say so (issue 12, item 14)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.stack import Stack, running_stack

FIELDS = ["start_date", "quota_attainment"]


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock) as s:
        yield s


async def _answered(stack: Stack, phone: str) -> tuple[str, str, str, str]:
    """A batch of one whose phone answers; returns (batch id, call id, the call's credential, room)."""
    candidate = (
        await stack.http.post(
            "/api/candidates", json={"external_id": phone, "name": "Ada", "phone": phone, "required_fields": FIELDS}
        )
    ).json()
    batch = (await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})).json()
    await stack.dispatch()
    metadata = json.loads(stack.sandbox.dispatches[-1].metadata)
    call = (await stack.http.get(f"/api/calls/{metadata['call_id']}")).json()
    assert call["state"] == "in_call"
    return batch["id"], metadata["call_id"], metadata["token"], call["room_name"]


async def _save(stack: Stack, call_id: str, token: str, name: str, value: str, *, status: str = "answered") -> None:
    body = {"name": name, "value": value, "status": status, "source_text": value}
    saved = await stack.http.post(f"/api/agent/calls/{call_id}/fields", json=body, headers={"Authorization": f"Bearer {token}"})
    assert saved.status_code == 200, saved.text


async def _end(stack: Stack, call_id: str, token: str, room: str) -> dict[str, object]:
    """The agent ends the conversation as a plain `answered` (which closes the room) after 40 s."""
    stack.clock.advance(timedelta(seconds=40))
    ended = await stack.http.post(
        f"/api/agent/calls/{call_id}/end", json={"outcome": "answered", "reason": "done"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ended.status_code == 204, ended.text
    await stack.sandbox.drain_webhooks()
    call: dict[str, object] = (await stack.http.get(f"/api/calls/{call_id}")).json()
    return call


async def test_every_field_collected_is_answered_and_completed(stack: Stack) -> None:
    batch_id, call_id, token, room = await _answered(stack, "+12125550116")
    await _save(stack, call_id, token, "quota_attainment", "a hundred and twelve percent")
    await _save(stack, call_id, token, "start_date", "", status="unknown")  # "I don't know" is an answer too
    call = await _end(stack, call_id, token, room)
    assert call["state"] == "completed" and call["last_outcome"] == "answered"
    batch = (await stack.http.get(f"/api/batches/{batch_id}")).json()
    assert batch["outcomes"] == {"answered": 1} and batch["counts"]["completed"] == 1


@pytest.mark.parametrize("status", ["answered", "declined", "unknown"])
async def test_hang_up_after_some_fields_is_partially_collected_and_retried_for_the_rest(stack: Stack, status: str) -> None:
    """"I'd rather not say" (declined) and "I don't know" settle a field for this call as an answer does: for the
    outcome, and for the retry, which does not ask it again."""
    batch_id, call_id, token, room = await _answered(stack, "+12125550116")
    await _save(stack, call_id, token, "quota_attainment", "a hundred and twelve percent" if status == "answered" else "",
                status=status)
    stack.clock.advance(timedelta(seconds=30))
    await stack.hang_up(room)  # the callee hangs up before the start date was asked
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "scheduled" and call["last_outcome"] == "partially_collected"
    assert [a["outcome"] for a in call["attempts"]] == ["partially_collected"]
    assert call["decisions"][-1]["code"] == "retry" and "partially collected" in call["decisions"][-1]["reason"]
    batch = (await stack.http.get(f"/api/batches/{batch_id}")).json()
    assert batch["outcomes"] == {"partially_collected": 1} and batch["counts"]["completed"] == 0
    metrics = (await stack.http.get("/metrics")).text
    assert 'dialer_attempts_ended_total{outcome="partially_collected"} 1.0' in metrics

    # The retry, two hours later, asks only what is still missing; collecting it completes the call.
    stack.clock.advance(timedelta(hours=2))
    await stack.dispatch()
    metadata = json.loads(stack.sandbox.dispatches[-1].metadata)
    assert metadata["call_id"] == call_id
    context = (
        await stack.http.get(f"/api/agent/calls/{call_id}/context", headers={"Authorization": f"Bearer {metadata['token']}"})
    ).json()
    assert [f["name"] for f in context["fields"]] == ["start_date"]
    await _save(stack, call_id, metadata["token"], "start_date", "March 3rd 2027")
    room = (await stack.http.get(f"/api/calls/{call_id}")).json()["room_name"]
    call = await _end(stack, call_id, metadata["token"], room)
    assert call["state"] == "completed"
    assert [a["outcome"] for a in call["attempts"]] == ["partially_collected", "answered"]


async def test_an_answered_call_that_collected_nothing_is_not_a_success(stack: Stack) -> None:
    batch_id, call_id, token, room = await _answered(stack, "+12125550116")
    call = await _end(stack, call_id, token, room)  # the agent said goodbye without saving a single field
    assert call["state"] == "scheduled" and call["last_outcome"] == "nothing_collected"
    due = call["next_attempt_at"]
    assert due is not None
    batch = (await stack.http.get(f"/api/batches/{batch_id}")).json()
    assert batch["outcomes"] == {"nothing_collected": 1} and batch["counts"]["completed"] == 0


async def test_nothing_collected_on_the_last_attempt_fails_the_call(stack: Stack) -> None:
    phone = "+12125550116"
    candidate = (
        await stack.http.post("/api/candidates", json={"external_id": phone, "name": "Ada", "phone": phone, "required_fields": FIELDS})
    ).json()
    batch = (await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]], "max_attempts": 1})).json()
    await stack.dispatch()
    metadata = json.loads(stack.sandbox.dispatches[-1].metadata)
    room = (await stack.http.get(f"/api/calls/{metadata['call_id']}")).json()["room_name"]
    call = await _end(stack, metadata["call_id"], metadata["token"], room)
    assert call["state"] == "failed" and call["last_outcome"] == "nothing_collected"
    assert call["decisions"][-1]["code"] == "max_attempts"
    view = (await stack.http.get(f"/api/batches/{batch['id']}")).json()
    assert view["counts"]["failed"] == 1 and view["outcomes"] == {"nothing_collected": 1}

