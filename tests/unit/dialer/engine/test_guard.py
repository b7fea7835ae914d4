"""The earned CPS guard: four times the recent 99th percentile of send lateness, bounded; and the trunk's record of
the guards recent plans spaced their slots by, so instances with different guards keep each other's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dialer.engine.guard import EarnedGuard, RecordedGuard, TrunkGuards, slot_interval, tolerance_s

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def test_a_steady_path_pays_the_floor() -> None:
    guard = EarnedGuard(floor_s=0.010, ceiling_s=0.100)
    assert guard.seconds == 0.010  # nothing measured yet
    for _ in range(200):
        guard.observe(0.001)
    assert guard.seconds == 0.010
    assert tolerance_s(guard.seconds) == pytest.approx(0.0025)


def test_the_guard_is_four_times_the_recent_99th_percentile_in_whole_steps() -> None:
    guard = EarnedGuard(floor_s=0.010, ceiling_s=0.100, window=200)
    for index in range(200):
        guard.observe(0.0062 if index % 50 == 0 else 0.001)  # four late dials in two hundred: past the 99th
    assert guard.seconds == 0.025  # 4 × 6.2 ms rounded up to 5 ms steps
    for _ in range(200):
        guard.observe(0.002)  # the late ones have left the window
    assert guard.seconds == 0.010


def test_one_stall_in_a_hundred_does_not_move_it_and_a_busy_path_hits_the_ceiling() -> None:
    guard = EarnedGuard(floor_s=0.010, ceiling_s=0.100, window=200)
    for index in range(200):
        guard.observe(0.5 if index == 0 else 0.001)
    assert guard.seconds == 0.010
    for _ in range(200):
        guard.observe(0.080)
    assert guard.seconds == 0.100
    guard.observe(-1.0)  # a clock stepped back counts as on time, never less
    assert guard.seconds == 0.100


@pytest.mark.parametrize("kwargs", [{"floor_s": -0.1, "ceiling_s": 0.1}, {"floor_s": 0.2, "ceiling_s": 0.1},
                                    {"floor_s": 0.0, "ceiling_s": 0.1, "window": 0}])
def test_nonsense_bounds_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        EarnedGuard(**kwargs)  # type: ignore[arg-type]


def test_slots_are_a_second_and_a_guard_per_cap_apart() -> None:
    assert slot_interval(50, 0.010) == timedelta(seconds=1.010 / 50)


def test_a_larger_guard_recorded_for_slots_near_ours_spaces_our_slots_too() -> None:
    guards = TrunkGuards().recorded(0.100, until=T0 + timedelta(seconds=2), now=T0)
    assert guards.spacing_s(0.010, at=T0 + timedelta(seconds=1)) == 0.100
    assert guards.spacing_s(0.010, at=T0 + timedelta(seconds=3)) == 0.010  # expired: no slot of its plan is near
    assert guards.spacing_s(0.150, at=T0) == 0.150  # ours is larger


def test_the_record_keeps_only_what_could_still_matter_and_survives_storage() -> None:
    guards = TrunkGuards()
    guards = guards.recorded(0.100, until=T0 + timedelta(seconds=2), now=T0)
    guards = guards.recorded(0.010, until=T0 + timedelta(seconds=3), now=T0)  # smaller but longer: both kept
    guards = guards.recorded(0.050, until=T0 + timedelta(seconds=3), now=T0)  # outweighs the 10 ms one: it goes
    assert guards.entries == (RecordedGuard(0.100, T0 + timedelta(seconds=2)), RecordedGuard(0.050, T0 + timedelta(seconds=3)))
    later = guards.recorded(0.010, until=T0 + timedelta(seconds=6), now=T0 + timedelta(seconds=2.5))  # 100 ms expired
    assert later.entries == (RecordedGuard(0.050, T0 + timedelta(seconds=3)), RecordedGuard(0.010, T0 + timedelta(seconds=6)))
    assert TrunkGuards.load(later.dump()).entries == later.entries
    assert TrunkGuards.load(None).entries == () and TrunkGuards.load([["x", 1]]).entries == ()
