"""Whom a call is for, and the endings of their own: wrong person (number flagged, not retried, the webhook says
so, no data kept), no longer looking, took another job. Over the wire, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.receiver import Receiver
from tests.stack import Stack, running_stack

CALLER = {"company": "Acme Corp", "role": "Account Executive", "recruiter_name": "Jordan Lee",
          "callback_number": "(415) 555-0123"}


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock, receiver: Receiver) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "webhook_url": receiver.url,
                                        "webhook_secret": "s"})
    async with running_stack(tuned, clock) as s:
        yield s


async def _call(stack: Stack, phone: str, **batch: Any) -> tuple[str, str, str, str]:
    """(candidate id, call id, credential, room) of an answered call."""
    candidate = (await stack.http.post("/api/candidates", json={
        "external_id": phone, "name": "Ada Lovelace", "phone": phone, "required_fields": ["start_date"]})).json()
    created = await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]], **batch})
    assert created.status_code == 201, created.text
    await stack.dispatch()
    metadata = json.loads(stack.sandbox.dispatches[-1].metadata)
    call = (await stack.http.get(f"/api/calls/{metadata['call_id']}")).json()
    return candidate["id"], metadata["call_id"], metadata["token"], call["room_name"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_batch_says_whom_it_calls_for_and_the_agent_hears_it(stack: Stack) -> None:
    _, call_id, token, _ = await _call(stack, "+12125550116", **CALLER)
    context = (await stack.http.get(f"/api/agent/calls/{call_id}/context", headers=_bearer(token))).json()
    assert context["caller"] == {**CALLER, "callback_number": "+14155550123"}
    assert context["transcribed"] is True and context["currency"] == "USD"
    assert context["voicemail_message"] == (
        "Hello, this is an automated assistant calling for Ada on behalf of Jordan Lee at Acme Corp. "
        "Please call us back at four one five, five five five, zero one two three. Thank you!")


async def test_without_a_company_the_sandbox_names_itself(stack: Stack) -> None:
    _, call_id, token, _ = await _call(stack, "+12125550116")
    context = (await stack.http.get(f"/api/agent/calls/{call_id}/context", headers=_bearer(token))).json()
    assert context["caller"]["company"] == "Dialer Sandbox" and context["caller"]["callback_number"] == "+12125550199"


async def test_a_bad_callback_number_is_a_422(stack: Stack) -> None:
    candidate = (await stack.http.post("/api/candidates", json={
        "external_id": "x", "name": "X", "phone": "+12125550116", "required_fields": ["start_date"]})).json()
    response = await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]],
                                                           "callback_number": "not a number"})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"][-1] == "callback_number"
    one = await stack.http.post("/api/calls", json={"candidate_id": candidate["id"], "callback_number": "12"})
    assert one.status_code == 422


async def test_a_wrong_person_flags_the_number_keeps_nothing_and_is_not_retried(
    stack: Stack, receiver: Receiver
) -> None:
    candidate_id, call_id, token, room = await _call(stack, "+12125550116")
    turns = {"turns": [{"role": "agent", "text": "Am I speaking with Ada Lovelace?", "at": stack.clock.now().isoformat()},
                       {"role": "callee", "text": "No, this is her neighbour", "at": stack.clock.now().isoformat()}]}
    assert (await stack.http.post(f"/api/agent/calls/{call_id}/transcript", json=turns,
                                  headers=_bearer(token))).status_code == 204
    ended = await stack.http.post(f"/api/agent/calls/{call_id}/end", json={"outcome": "wrong_person",
                                                                          "reason": "a neighbour answered"},
                                  headers=_bearer(token))
    assert ended.status_code == 204
    late = {"turns": [{"role": "callee", "text": "Bye", "at": stack.clock.now().isoformat()}]}
    await stack.http.post(f"/api/agent/calls/{call_id}/transcript", json=late, headers=_bearer(token))
    await stack.sandbox.drain_webhooks()
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "failed" and call["attempts"][0]["outcome"] == "wrong_person"
    assert call["decisions"][-1]["code"] == "wrong_person"

    stack.clock.advance(timedelta(seconds=15))
    await stack.runtime.outbox.run_once()
    (ended_event,) = receiver.of_type("call.ended")
    assert ended_event["data"]["outcome"] == "wrong_person" and ended_event["data"]["number_flagged"] is True
    (report,) = receiver.of_type("call.report")
    assert report["data"]["transcript"] == [] and report["data"]["fields_collected"] == []

    # A new batch does not ring the flagged number; a new number for the candidate is rung.
    again = await stack.http.post("/api/batches", json={"candidate_ids": [candidate_id]})
    await stack.dispatch()
    retry = (await stack.http.get("/api/calls", params={"batch_id": again.json()["id"]})).json()["items"][0]
    assert retry["state"] == "failed" and retry["decisions"][-1]["code"] == "wrong_number"
    await stack.http.post("/api/candidates", json={"external_id": "+12125550116", "name": "Ada Lovelace",
                                                   "phone": "+12125550105", "required_fields": ["start_date"]})
    fresh = await stack.http.post("/api/batches", json={"candidate_ids": [candidate_id]})
    await stack.dispatch()
    dialled = (await stack.http.get("/api/calls", params={"batch_id": fresh.json()["id"]})).json()["items"][0]
    assert dialled["state"] == "in_call"


@pytest.mark.parametrize("outcome", ["no_longer_looking", "accepted_other_job"])
async def test_not_looking_is_an_outcome_of_its_own(stack: Stack, outcome: str) -> None:
    _, call_id, token, room = await _call(stack, "+12125550116")
    ended = await stack.http.post(f"/api/agent/calls/{call_id}/end", json={"outcome": outcome, "reason": outcome},
                                  headers=_bearer(token))
    assert ended.status_code == 204
    await stack.sandbox.drain_webhooks()
    call = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "completed" and call["attempts"][0]["outcome"] == outcome
    assert call["decisions"][-1]["code"] == outcome
