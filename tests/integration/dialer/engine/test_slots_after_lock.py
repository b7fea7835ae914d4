"""CPS slots are counted from when the trunk's budget lock is held, not from before waiting for it.

Under load a plan (or a re-slot) can wait seconds for the lock (another run, another instance, SQLite's single
writer). Slots counted from before that wait were already past when the dials got them, so each dial took a new
slot, waited for the lock again, and got a past slot again: at 50 CPS on SQLite dispatch stalled.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine import queue
from dialer.engine.lead import PreparationLead
from dialer.engine.plan import DialPlanner, DispatchConfig
from dialer.lifecycle import LeaseRules
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow
from tests.stack import running_stack

NY_BUSY = "+12125550110"
LOCK_WAIT = timedelta(seconds=5)


class _SeenClock:
    """The test's clock, telling when the code under test first read it (it is then about to take the lock)."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self.read = asyncio.Event()

    def now(self) -> datetime:
        self.read.set()
        return self._clock.now()


async def test_a_plan_that_waited_for_the_lock_slots_its_dials_from_when_it_got_it(
    settings: Settings, clock: ManualClock,
) -> None:
    async with running_stack(settings, clock) as stack:  # the runtime is not started: nothing dispatches but us
        body = {"external_id": "ny", "name": "NY", "phone": NY_BUSY, "required_fields": ["start_date"]}
        candidate = (await stack.http.post("/api/candidates", json=body)).json()["id"]
        assert (await stack.http.post("/api/batches", json={"candidate_ids": [candidate]})).status_code == 201
        seen = _SeenClock(clock)
        config = DispatchConfig(
            trunk_id=settings.sip_outbound_trunk_id, agent_name=settings.agent_name, calls_per_second=10.0,
            max_concurrent=10, window=CallingWindow.from_strings(settings.call_window_start, settings.call_window_end, settings.call_weekdays),
            retry=DEFAULT_RETRY_POLICY, secret=settings.secret_key, dialer_url=settings.base_url,
        )
        planner = DialPlanner(db=stack.runtime.db, clock=seen, config=config, owner="test", lead=PreparationLead())
        async with stack.runtime.db.transaction() as holder:
            await queue.lock_budget(holder, config.trunk_id, clock.now())
            planning = asyncio.create_task(planner.plan())
            await seen.read.wait()  # the plan has begun and is waiting for the lock we hold
            clock.advance(LOCK_WAIT)
        plan = await planning
        assert [d.request.call_id for d in plan.dials] and all(d.slot_at >= clock.now() for d in plan.dials)


async def test_a_new_slot_for_a_late_dial_is_counted_from_when_the_lock_is_held(
    settings: Settings, clock: ManualClock,
) -> None:
    async with running_stack(settings, clock) as stack:
        seen = _SeenClock(clock)
        trunk = settings.sip_outbound_trunk_id
        async with stack.runtime.db.transaction() as holder:
            await queue.lock_budget(holder, trunk, clock.now())

            async def reslot() -> datetime:
                async with stack.runtime.db.transaction() as session:
                    return await queue.take_new_slot(
                        session, trunk_id=trunk, clock=seen, calls_per_second=10.0, guard_s=0.1,
                        call_id="call_none", attempt_id="att_none", lease=LeaseRules(30, 600, 120),
                    )

            taking = asyncio.create_task(reslot())
            await seen.read.wait()  # it is waiting for the lock we hold
            clock.advance(LOCK_WAIT)
        assert await taking >= clock.now()
