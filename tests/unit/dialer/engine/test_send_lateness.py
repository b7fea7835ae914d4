"""What earns the guard: how late a dial's request really leaves, from its slot if it slept until it, or from its
check if it was ready only after its slot (that lateness was its preparation's, which the lead learns)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dialer.clock import ManualClock
from dialer.engine.dial import DialPlacer
from dialer.engine.guard import EarnedGuard
from dialer.engine.plan import DispatchConfig, PlannedDial
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow
from dialer.telephony.base import REQUEST_SENT, DialRequest, DialResult

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


class _Telephony:
    """Places at once; `busy_ms`: the event loop ran other work that long between the check and the socket."""

    def __init__(self, clock: ManualClock, busy_ms: int, tells: bool = True) -> None:
        self._clock, self._busy, self._tells = clock, timedelta(milliseconds=busy_ms), tells

    async def place(self, request: DialRequest) -> DialResult:
        self._clock.advance(self._busy)
        sent = REQUEST_SENT.get()
        if self._tells and sent is not None:
            sent()
        return DialResult(participant_identity="callee", sip_call_id="SCL_x")


def _placer(clock: ManualClock, guard: EarnedGuard, overshoot: timedelta, busy_ms: int = 0,
            tells: bool = True) -> DialPlacer:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds) + overshoot)

    return DialPlacer(db=None, clock=clock, telephony=_Telephony(clock, busy_ms, tells), config=CONFIG,  # type: ignore[arg-type]
                      sleep=sleep, guard=guard)


async def _met_and_placed(placer: DialPlacer, dial: PlannedDial) -> datetime:
    met = await placer._wait_for_slot(dial)
    assert met is not None
    await placer._place_timed(dial, met)
    return met.slot


async def test_the_guard_learns_how_late_the_request_left_after_the_sleep() -> None:
    clock, guard = ManualClock(T0), EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    placer = _placer(clock, guard, overshoot=timedelta(milliseconds=3), busy_ms=5)
    slot = T0 + timedelta(milliseconds=200)
    assert await _met_and_placed(placer, _dial(slot, guard_s=0.100)) == slot  # checked 3 ms late: inside 25 ms
    assert guard.seconds == 0.035  # it left 8 ms late: four times that, in 5 ms steps


async def test_an_adapter_that_cannot_tell_leaves_the_check_to_count() -> None:
    clock, guard = ManualClock(T0), EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    placer = _placer(clock, guard, overshoot=timedelta(milliseconds=3), busy_ms=5, tells=False)
    await _met_and_placed(placer, _dial(T0 + timedelta(milliseconds=200), guard_s=0.100))
    assert guard.seconds == 0.015  # four times the 3 ms it was checked late


async def test_a_dial_ready_only_after_its_slot_counts_from_its_check() -> None:
    clock, guard = ManualClock(T0), EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    placer = _placer(clock, guard, overshoot=timedelta(0), busy_ms=1)
    slot = T0 - timedelta(milliseconds=2)  # the room took longer than the lead: ready 2 ms past the slot
    assert await _met_and_placed(placer, _dial(slot, guard_s=0.010)) == slot  # inside 2.5 ms: sent as it is
    assert guard.seconds == 0.010  # 1 ms from the check to the socket: the floor still covers it


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

    placer._new_slot = new_slot  # type: ignore[method-assign,assignment]
    late = _dial(T0 - timedelta(milliseconds=50), guard_s=0.010)  # ready 50 ms past its slot
    met = await placer._wait_for_slot(late)
    assert met is not None and met.slot == taken[-1]
    assert len(taken) == 2  # the first, "now", was 8 ms past at once; the second was put 8 ms ahead
