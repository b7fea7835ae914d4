"""Cancelling a batch and do-not-call act on live calls too (issue 12, items 15 and 17): do-not-call hangs up a live
call to the number at once; a cancelled batch hangs up its live calls when the recruiter asks (`hang_up`), and the
response names the calls ended; a call of a cancelled batch that ends later is `cancelled`, never left counted as
`scheduled` until a retry that will never be dialled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.stack import Stack, running_stack

ANSWERS = "+12125550116"  # answers at once, never hangs up by itself
DECLINES = "+12125550112"  # SIP 603 after ringing
RINGS_THEN_ANSWERS = "+12125550105"  # answers after the sandbox's ring delay


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock) as s:
        yield s


async def _batch(stack: Stack, phone: str) -> tuple[str, str]:
    candidate = (
        await stack.http.post("/api/candidates", json={"external_id": phone, "name": "Ada", "phone": phone, "required_fields": ["start_date"]})
    ).json()
    batch = (await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})).json()
    return batch["id"], candidate["id"]


async def _only_call(stack: Stack, batch_id: str) -> dict[str, object]:
    (call,) = (await stack.http.get("/api/calls", params={"batch_id": batch_id})).json()["items"]
    return dict(call)


async def test_cancel_with_hang_up_ends_the_live_call_and_says_so(stack: Stack) -> None:
    batch_id, _ = await _batch(stack, ANSWERS)
    await stack.dispatch()
    live = await _only_call(stack, batch_id)
    assert live["state"] == "in_call"
    response = await stack.http.post(f"/api/batches/{batch_id}/cancel", json={"hang_up": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["ended_calls"] == [live["id"]]
    assert {r.request.room for r in stack.sandbox.requests_for("DeleteRoom")} == {live["room_name"]}
    await stack.sandbox.drain_webhooks()
    call = await _only_call(stack, batch_id)
    assert call["state"] == "cancelled" and call["next_attempt_at"] is None
    assert call["attempts"][0]["ended_at"] is not None
    assert any(d["code"] == "batch_cancelled" and "hang-up" in d["reason"] for d in call["decisions"])
    counts = (await stack.http.get(f"/api/batches/{batch_id}")).json()["counts"]
    assert counts["cancelled"] == 1 and counts["scheduled"] == 0 and counts["in_call"] == 0


async def test_cancel_without_hang_up_lets_the_call_finish_then_counts_it_cancelled(stack: Stack) -> None:
    batch_id, _ = await _batch(stack, ANSWERS)
    await stack.dispatch()
    live = await _only_call(stack, batch_id)
    body = (await stack.http.post(f"/api/batches/{batch_id}/cancel")).json()
    assert body["ended_calls"] == [] and stack.sandbox.requests_for("DeleteRoom") == []
    assert (await _only_call(stack, batch_id))["state"] == "in_call"  # the conversation goes on
    await stack.hang_up(str(live["room_name"]))  # the callee hangs up before anything was saved
    call = await _only_call(stack, batch_id)
    # Before: `scheduled`, a retry in 2 h that the cancelled batch would never dial.
    assert call["state"] == "cancelled" and call["next_attempt_at"] is None
    assert call["decisions"][-1]["code"] == "batch_cancelled"
    counts = (await stack.http.get(f"/api/batches/{batch_id}")).json()["counts"]
    assert counts == {"scheduled": 0, "dialing": 0, "in_call": 0, "completed": 0, "failed": 0, "cancelled": 1}


async def test_cancelled_while_ringing_the_declined_call_is_cancelled_not_scheduled(settings: Settings, clock: ManualClock) -> None:
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock, ring_delay_s=1.0) as stack:
        batch_id, _ = await _batch(stack, DECLINES)
        await stack.runtime.dispatcher.run_once()
        await stack.sandbox.wait_until(lambda: bool(stack.sandbox.requests_for("CreateSIPParticipant")), timeout=10)
        assert (await _only_call(stack, batch_id))["state"] == "dialing"  # ringing
        assert (await stack.http.post(f"/api/batches/{batch_id}/cancel")).json()["ended_calls"] == []
        await stack.runtime.dispatcher.drain()  # the phone declines (603): normally a retry in 24 h
        call = await _only_call(stack, batch_id)
        assert [a["outcome"] for a in call["attempts"]] == ["declined"]
        assert call["state"] == "cancelled" and call["next_attempt_at"] is None
        assert (await stack.http.get(f"/api/batches/{batch_id}")).json()["counts"]["scheduled"] == 0


async def test_cancel_with_hang_up_while_ringing_stops_the_ringing(settings: Settings, clock: ManualClock) -> None:
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock, ring_delay_s=5.0) as stack:
        batch_id, _ = await _batch(stack, RINGS_THEN_ANSWERS)
        await stack.runtime.dispatcher.run_once()
        await stack.sandbox.wait_until(lambda: bool(stack.sandbox.requests_for("CreateSIPParticipant")), timeout=10)
        ringing = await _only_call(stack, batch_id)
        body = (await stack.http.post(f"/api/batches/{batch_id}/cancel", json={"hang_up": True})).json()
        assert body["ended_calls"] == [ringing["id"]]
        async with asyncio.timeout(4):  # well before the 5 s the phone would take to answer
            await stack.runtime.dispatcher.drain()
        await stack.sandbox.drain_webhooks()
        call = await _only_call(stack, batch_id)
        assert call["state"] == "cancelled" and call["attempts"][0]["answered_at"] is None
        assert call["attempts"][0]["ended_at"] is not None


async def test_do_not_call_hangs_up_a_live_call_to_the_number(stack: Stack) -> None:
    batch_id, _ = await _batch(stack, ANSWERS)
    await stack.dispatch()
    live = await _only_call(stack, batch_id)
    response = await stack.http.post("/api/dnc", json={"phone": ANSWERS, "reason": "asked by email"})
    assert response.status_code == 201, response.text
    assert response.json() == {"phone": ANSWERS, "ended_calls": [live["id"]]}
    assert {r.request.room for r in stack.sandbox.requests_for("DeleteRoom")} == {live["room_name"]}
    await stack.sandbox.drain_webhooks()
    call = await _only_call(stack, batch_id)
    assert call["state"] == "failed" and call["next_attempt_at"] is None  # not retried
    assert any(d["code"] == "do_not_call" and "live call is ended" in d["reason"] for d in call["decisions"])
    # Nobody else's call is touched, and a second add ends nothing.
    again = await stack.http.post("/api/dnc", json={"phone": ANSWERS})
    assert again.json()["ended_calls"] == []
    assert json.loads(stack.sandbox.dispatches[-1].metadata)["call_id"] == live["id"]
