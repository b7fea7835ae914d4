"""Instances that earned different CPS guards keep each other's: a plan spaces its slots by the largest guard another
plan recorded on the trunk for slots near its own, and by its own once those are a few seconds behind."""

from __future__ import annotations

from datetime import timedelta

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine.guard import EarnedGuard, slot_interval
from dialer.engine.plan import DialPlanner, DispatchConfig
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow
from tests.stack import running_stack

NY_BUSY = "+12125550110"
CAP = 10.0


def _planner(stack_db: object, clock: ManualClock, settings: Settings, guard_s: float, owner: str) -> DialPlanner:
    config = DispatchConfig(
        trunk_id=settings.sip_outbound_trunk_id, agent_name=settings.agent_name, calls_per_second=CAP,
        max_concurrent=100,
        window=CallingWindow.from_strings(settings.call_window_start, settings.call_window_end, settings.call_weekdays),
        retry=DEFAULT_RETRY_POLICY, secret=settings.secret_key, dialer_url=settings.base_url,
    )
    return DialPlanner(db=stack_db, clock=clock, config=config, owner=owner,  # type: ignore[arg-type]
                       guard=EarnedGuard(floor_s=guard_s, ceiling_s=guard_s))


async def test_a_plan_keeps_the_larger_guard_another_instance_recorded_until_it_expires(
    settings: Settings, clock: ManualClock,
) -> None:
    async with running_stack(settings, clock) as stack:  # the runtime is not started: nothing dispatches but us
        bodies = [{"external_id": f"ny-{i}", "name": "NY", "phone": NY_BUSY, "required_fields": ["start_date"]}
                  for i in range(6)]
        ids = [(await stack.http.post("/api/candidates", json=body)).json()["id"] for body in bodies]
        assert (await stack.http.post("/api/batches", json={"candidate_ids": ids})).status_code == 201
        busy = _planner(stack.runtime.db, clock, settings, 0.100, "busy-instance")
        steady = _planner(stack.runtime.db, clock, settings, 0.010, "steady-instance")

        (first,) = (await busy.plan(allowance=1)).dials
        assert first.guard_s == 0.100
        after_busy = (await steady.plan(allowance=2)).dials
        assert [d.guard_s for d in after_busy] == [0.010, 0.010]  # each dial's own tolerance: its instance's guard
        assert after_busy[0].slot_at - first.slot_at == slot_interval(CAP, 0.100)
        assert after_busy[1].slot_at - after_busy[0].slot_at == slot_interval(CAP, 0.100)  # the busy one's, kept

        clock.advance(timedelta(seconds=10))  # the busy instance's slots are long past: its guard no longer binds
        alone = (await steady.plan(allowance=2)).dials
        assert alone[1].slot_at - alone[0].slot_at == slot_interval(CAP, 0.010)
