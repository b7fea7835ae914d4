"""The dialer's own maximum call duration on the sandbox, through the whole dialer (SQLite and PostgreSQL).

LiveKit (livekit/sip v1.8.0) never cuts an answered call at `max_call_duration`, and the sandbox behaves the same;
the dialer ends the room itself at answer + DIALER_MAX_CALL_DURATION_S, with the reason in the call's decisions,
from what the database holds (so a restarted instance does it too).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine.duration_cap import DurationCap
from dialer.policy import DEFAULT_RETRY_POLICY
from tests.stack import Stack, running_stack

NEVER_HANGS_UP = "+12125550116"  # answers at once; the stack's sandbox never hangs up by itself
CAP_S = 30


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "max_call_duration_s": CAP_S})
    async with running_stack(tuned, clock) as s:
        yield s


async def _answered_call(stack: Stack) -> dict[str, Any]:
    body = {"external_id": "ext-cap", "name": "Ada", "phone": NEVER_HANGS_UP, "required_fields": ["start_date"]}
    candidate = (await stack.http.post("/api/candidates", json=body)).json()["id"]
    call_id = (await stack.http.post("/api/calls", json={"candidate_id": candidate})).json()["id"]
    await stack.dispatch()
    call: dict[str, Any] = (await stack.http.get(f"/api/calls/{call_id}")).json()
    assert call["state"] == "in_call", call
    return call


async def _after(stack: Stack, call: dict[str, Any]) -> dict[str, Any]:
    await stack.sandbox.drain_webhooks()
    found: dict[str, Any] = (await stack.http.get(f"/api/calls/{call['id']}")).json()
    return found


async def test_an_answered_call_is_ended_at_the_cap_with_the_reason_in_its_decisions(
    stack: Stack, clock: ManualClock
) -> None:
    call = await _answered_call(stack)
    cap = stack.runtime.duration_cap
    clock.advance(timedelta(seconds=CAP_S - 1))
    assert await cap.run_once() == 0
    assert cap.next_cap_at == clock.now() + timedelta(seconds=1)
    assert stack.sandbox.requests_for("DeleteRoom") == []

    clock.advance(timedelta(seconds=1))
    assert await cap.run_once() == 1
    assert [r.request.room for r in stack.sandbox.requests_for("DeleteRoom")] == [call["room_name"]]
    ended = await _after(stack, call)
    assert ended["state"] == "scheduled" and ended["last_outcome"] == "nothing_collected"  # ended, nothing saved: retried
    (attempt,) = ended["attempts"]
    assert (attempt["outcome"], attempt["duration_s"]) == ("nothing_collected", CAP_S)
    capped = [d for d in ended["decisions"] if d["code"] == "max_duration"]
    assert len(capped) == 1 and f"maximum call duration of {CAP_S} s" in capped[0]["reason"], ended["decisions"]
    assert await cap.run_once() == 0  # nothing left, nothing said twice


async def test_a_restarted_instance_ends_the_call_from_the_database(stack: Stack, clock: ManualClock) -> None:
    call = await _answered_call(stack)
    clock.advance(timedelta(seconds=CAP_S + 5))  # the instance that answered it is gone: a fresh job, no memory
    fresh = DurationCap(db=stack.runtime.db, clock=clock, telephony=stack.runtime.telephony,
                        retry=DEFAULT_RETRY_POLICY, max_call_duration_s=CAP_S)
    assert await fresh.run_once() == 1
    assert (await _after(stack, call))["last_outcome"] == "nothing_collected"  # ended (nothing saved)


async def test_the_wake_up_ends_the_call_at_its_cap_without_waiting_for_the_scheduler(
    stack: Stack, clock: ManualClock
) -> None:
    call = await _answered_call(stack)
    cap = stack.runtime.duration_cap
    await cap.run_once()  # learns the next cap
    clock.advance(timedelta(seconds=CAP_S))
    cap.wake_at_next_cap(asyncio.get_running_loop())
    for _ in range(200):  # bounded: the wake-up is due at once
        if stack.sandbox.requests_for("DeleteRoom"):
            break
        await asyncio.sleep(0.01)
    cap.stop()
    assert [r.request.room for r in stack.sandbox.requests_for("DeleteRoom")] == [call["room_name"]]
