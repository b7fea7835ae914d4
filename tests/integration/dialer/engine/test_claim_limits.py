"""A run claims only as many calls as it could dial now; calls it had to reschedule instead do not hold back the
ones behind them: the dispatcher runs again at once, without waiting for a tick."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine import queue
from dialer.store.db import Database
from dialer.store.models import TrunkBudget
from tests.stack import running_stack

LA = "+12135550110"  # 07:00 in Los Angeles at T0: outside the window
NY_BUSY = "+12125550110"


async def test_rescheduled_calls_do_not_hold_back_dialable_ones(settings: Settings, clock: ManualClock) -> None:
    # 1 CPS and a 2 s horizon: a run can claim two calls; ten calls outside their window come first.
    tuned = settings.model_copy(update={"calls_per_second": 1.0, "dispatch_interval_s": 3600.0})
    async with running_stack(tuned, clock) as stack:
        ids = []
        for index in range(10):
            body = {"external_id": f"la{index}", "name": "LA", "phone": LA, "required_fields": ["start_date"]}
            ids.append((await stack.http.post("/api/candidates", json=body)).json()["id"])
        await stack.http.post("/api/batches", json={"candidate_ids": ids})  # not started yet: nothing runs
        clock.advance(timedelta(seconds=1))
        body = {"external_id": "ny", "name": "NY", "phone": NY_BUSY, "required_fields": ["start_date"]}
        ny = (await stack.http.post("/api/candidates", json=body)).json()["id"]
        await stack.http.post("/api/batches", json={"candidate_ids": [ny]})

        await stack.runtime.start()  # one wake-up; the tick is an hour away
        await stack.sandbox.wait_until(lambda: len(stack.sandbox.requests_for("CreateSIPParticipant")) == 1)
        await stack.runtime.dispatcher.drain()
        calls = (await stack.http.get("/api/calls")).json()["items"]
        by_decision: dict[str, list[Any]] = {}
        for call in calls:
            detail = (await stack.http.get(f"/api/calls/{call['id']}")).json()
            by_decision.setdefault(str(detail["decisions"][-1]["code"]), []).append(detail)
        assert len(by_decision["outside_window"]) == 10
        assert [c["attempts"][0]["outcome"] for c in by_decision["retry"]] == ["busy"]


async def test_instances_starting_together_create_the_budget_row_once(database: Database, clock: ManualClock) -> None:
    """Two first dispatch runs at once: one creates the trunk's budget row, the other waits for it and uses it."""
    first_locked = asyncio.Event()

    async def first() -> None:
        async with database.transaction() as session:
            await queue.lock_budget(session, "ST_new", clock.now())
            first_locked.set()
            await asyncio.sleep(0.2)  # hold the new row's lock while the second run tries to create it too

    async def second() -> None:
        await first_locked.wait()
        async with database.transaction() as session:
            budget = await queue.lock_budget(session, "ST_new", clock.now())
            budget.next_slot_at = clock.now() + timedelta(seconds=1)

    await asyncio.wait_for(asyncio.gather(first(), second()), 10)
    async with database.transaction() as session:
        rows = list(await session.scalars(select(TrunkBudget).where(TrunkBudget.trunk_id == "ST_new")))
    assert [r.next_slot_at for r in rows] == [clock.now() + timedelta(seconds=1)]
