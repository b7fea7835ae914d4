"""What earns the guard: how late a dial that slept until its slot wakes (the send path), not how late a dial was
ready after its slot (its preparation, which the lead learns)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dialer.clock import ManualClock
from dialer.engine.dial import DialPlacer
from dialer.engine.guard import EarnedGuard
from dialer.engine.plan import DispatchConfig, PlannedDial
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow
from dialer.telephony.base import DialRequest

T0 = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)
CONFIG = DispatchConfig(
    trunk_id="ST_t", agent_name="agent", calls_per_second=10.0, max_concurrent=10,
    window=CallingWindow.from_strings("08:00", "21:00", [0, 1, 2, 3, 4, 5, 6]), retry=DEFAULT_RETRY_POLICY,
    secret="s" * 32, dialer_url="http://127.0.0.1",
)


def _dial(slot: datetime, guard_s: float) -> PlannedDial:
    request = DialRequest(call_id="call_1", attempt_id="att_1", room_name="call-call_1-1", phone_e164="+12125550110",
                          trunk_id="ST_t", agent_name="agent", agent_metadata="{}", participant_identity="callee",
                          participant_name="C")
    return PlannedDial(request=request, attempt_id="att_1", slot_at=slot, guard_s=guard_s)


def _placer(clock: ManualClock, guard: EarnedGuard, overshoot: timedelta) -> DialPlacer:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds) + overshoot)

    return DialPlacer(db=None, clock=clock, telephony=None, config=CONFIG, sleep=sleep,  # type: ignore[arg-type]
                      guard=guard)


async def test_a_dial_that_slept_teaches_the_guard_how_late_it_woke() -> None:
    clock, guard = ManualClock(T0), EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    placer = _placer(clock, guard, overshoot=timedelta(milliseconds=3))
    slot = T0 + timedelta(milliseconds=200)
    assert await placer._wait_for_slot(_dial(slot, guard_s=0.100)) == slot  # 3 ms late: inside 25 ms
    assert guard.seconds == 0.015  # four times 3 ms, in 5 ms steps


async def test_a_dial_ready_only_after_its_slot_teaches_it_nothing() -> None:
    clock, guard = ManualClock(T0), EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    placer = _placer(clock, guard, overshoot=timedelta(0))
    slot = T0 - timedelta(milliseconds=2)  # the room took longer than the lead: ready 2 ms past the slot
    assert await placer._wait_for_slot(_dial(slot, guard_s=0.010)) == slot  # inside 2.5 ms: sent as it is
    assert guard.seconds == 0.010


async def test_a_new_slot_is_put_far_enough_ahead_to_be_met() -> None:
    """On a free trunk a new slot is "now", which is past by the time its transaction commits: with a small guard the
    dial would re-slot again and again. The placer learns how long taking one takes and asks for that much lead."""
    clock, guard = ManualClock(T0), EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    placer = _placer(clock, guard, overshoot=timedelta(0))
    taken: list[datetime] = []

    async def new_slot(_dial: PlannedDial, _guard_s: float, lead_s: float) -> datetime:
        slot = clock.now() + timedelta(seconds=lead_s)  # a free trunk: the slot is the lead ahead of now
        clock.advance(timedelta(milliseconds=8))  # the transaction and its commit
        taken.append(slot)
        if len(taken) > 5:
            raise RuntimeError("re-slotting without end")
        return slot

    placer._new_slot = new_slot  # type: ignore[method-assign]
    late = _dial(T0 - timedelta(milliseconds=50), guard_s=0.010)  # ready 50 ms past its slot
    assert await placer._wait_for_slot(late) == taken[-1]
    assert len(taken) == 2  # the first, "now", was 8 ms past at once; the second was put 8 ms ahead
