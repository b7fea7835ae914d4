"""A call the agent transferred to a person is `transferred`: completed, never retried (the bot must not ring someone
who has just spoken to a recruiter), whatever it collected, and whichever comes first, the agent's report or LiveKit's
webhook that the phone leg left (a REFER that went through takes the leg away). A refused or failed transfer is not
one: the call stays what its conversation earned. The API, the batch counts and stats, the CSV export, /metrics and
`call.ended` all say `transferred`."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.integration.api.test_agent_api import SECRET
from tests.integration.dialer.engine.test_answered_outcomes import _answered, _save
from tests.receiver import Receiver
from tests.stack import Stack, running_stack

PHONE = "+12125550116"  # answers, stays on the line until someone hangs up


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock, receiver: Receiver) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "webhook_url": receiver.url, "webhook_secret": SECRET})
    async with running_stack(tuned, clock) as s:
        yield s


async def _agent(stack: Stack, call_id: str, token: str, route: str, body: dict[str, Any] | None = None) -> None:
    response = await stack.http.post(
        f"/api/agent/calls/{call_id}/{route}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204, response.text


async def _call(stack: Stack, call_id: str) -> dict[str, Any]:
    await stack.sandbox.drain_webhooks()
    call: dict[str, Any] = (await stack.http.get(f"/api/calls/{call_id}")).json()
    return call


async def test_a_transfer_the_agent_reports_is_transferred_completed_and_never_retried(
    stack: Stack, receiver: Receiver
) -> None:
    batch_id, call_id, token, _room = await _answered(stack, PHONE)
    await _agent(stack, call_id, token, "transfer-started")
    stack.clock.advance(timedelta(seconds=20))
    await _agent(stack, call_id, token, "end", {"outcome": "transferred", "reason": "transferred to a person"})
    call = await _call(stack, call_id)  # the end report closed the room, which ended the attempt

    assert call["state"] == "completed" and call["last_outcome"] == "transferred"
    assert [a["outcome"] for a in call["attempts"]] == ["transferred"] and call["next_attempt_at"] is None
    codes = [d["code"] for d in call["decisions"]]
    assert codes[-3:] == ["transfer_started", "agent_transferred", "transferred"], codes
    batch = (await stack.http.get(f"/api/batches/{batch_id}")).json()
    assert batch["outcomes"] == {"transferred": 1} and batch["counts"]["completed"] == 1
    stats = (await stack.http.get(f"/api/batches/{batch_id}/stats")).json()
    assert stats["outcomes"]["transferred"] == 1 and stats["outcomes"]["nothing_collected"] == 0
    rows = list(csv.DictReader(io.StringIO((await stack.http.get(f"/api/batches/{batch_id}/export.csv")).text)))
    assert [(r["call_id"], r["state"], r["last_outcome"]) for r in rows] == [(call_id, "completed", "transferred")]
    assert 'dialer_attempts_ended_total{outcome="transferred"} 1.0' in (await stack.http.get("/metrics")).text

    stack.clock.advance(timedelta(seconds=15))
    await stack.runtime.outbox.run_once()
    (ended,) = receiver.of_type("call.ended")
    assert ended["data"]["outcome"] == "transferred" and ended["data"]["call_state"] == "completed"
    assert ended["data"]["next_attempt_at"] is None and ended["data"]["number_flagged"] is False
    (report,) = receiver.of_type("call.report")
    assert report["data"]["outcome"] == "transferred"

    stack.clock.advance(timedelta(days=3))
    await stack.dispatch()
    assert stack.dialled_numbers() == [PHONE]  # rung once, by the bot, and never again


async def test_the_phone_leg_leaving_before_the_agents_report_is_still_a_transfer(stack: Stack) -> None:
    """On real LiveKit the accepted REFER takes the phone leg away, and its webhook can beat the agent's report."""
    _batch_id, call_id, token, room = await _answered(stack, PHONE)
    await _save(stack, call_id, token, "quota_attainment", "a hundred and twelve percent")
    await _agent(stack, call_id, token, "transfer-started")
    stack.clock.advance(timedelta(seconds=5))
    await stack.hang_up(room)  # the transferred leg leaves before the agent says the REFER went through
    call = await _call(stack, call_id)
    assert call["state"] == "completed" and [a["outcome"] for a in call["attempts"]] == ["transferred"]

    await _agent(stack, call_id, token, "end", {"outcome": "transferred", "reason": "transferred to a person"})
    after = await _call(stack, call_id)  # the late report changes nothing but the trail
    assert after["state"] == "completed" and after["last_outcome"] == "transferred"
    candidate = (await stack.http.get(f"/api/candidates/{call['candidate_id']}")).json()
    assert candidate["fields"]["quota_attainment"] == "112%"  # saved before the transfer, kept
    assert candidate["missing_fields"] == ["start_date"]


@pytest.mark.parametrize("then", ["callee_hangs_up", "agent_ends"])
async def test_a_failed_transfer_is_not_a_transfer(stack: Stack, then: str) -> None:
    _batch_id, call_id, token, room = await _answered(stack, PHONE)
    await _agent(stack, call_id, token, "transfer-started")
    await _agent(stack, call_id, token, "transfer-failed", {"sip_status": 603})
    during = await _call(stack, call_id)
    assert during["state"] == "in_call" and during["attempts"][0]["outcome"] is None  # the call goes on
    stack.clock.advance(timedelta(seconds=30))
    if then == "callee_hangs_up":
        await stack.hang_up(room)
    else:
        await _agent(stack, call_id, token, "end", {"outcome": "answered", "reason": "no response from the callee"})
    call = await _call(stack, call_id)

    assert call["state"] == "scheduled" and call["last_outcome"] == "nothing_collected"
    assert call["next_attempt_at"] is not None
    failed = [d["reason"] for d in call["decisions"] if d["code"] == "transfer_failed"]
    assert failed and "SIP 603" in failed[0]
