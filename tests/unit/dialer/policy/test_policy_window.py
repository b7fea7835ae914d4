"""Calling window: clamping, weekdays, DST, multi-zone, not_before/not_after, and a brute-force cross-check."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialer.policy import HARD_END, HARD_START, CallingWindow, callee_zones, next_allowed_at

EVERY_DAY = frozenset(range(7))
DEFAULT = CallingWindow()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def zs(*names: str) -> tuple[ZoneInfo, ...]:
    return tuple(ZoneInfo(n) for n in names)


# --- construction and clamping ---------------------------------------------------------------------


def test_defaults() -> None:
    assert (DEFAULT.start, DEFAULT.end, DEFAULT.weekdays) == (time(9), time(20), frozenset({0, 1, 2, 3, 4}))
    assert DEFAULT.describe() == "09:00-20:00 Mon,Tue,Wed,Thu,Fri"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (time(9), time(20), (time(9), time(20))),
        (time(7), time(22), (HARD_START, HARD_END)),
        (time(0), time(23, 59), (HARD_START, HARD_END)),
        (time(7, 59), time(12), (time(8), time(12))),
        (time(12), time(21, 0, 1), (time(12), time(21))),
        (time(8), time(21), (time(8), time(21))),
        (time(10, 30), time(11, 15), (time(10, 30), time(11, 15))),
    ],
)
def test_clamped_to_hard_limits(start: time, end: time, expected: tuple[time, time]) -> None:
    window = CallingWindow(start, end)
    assert (window.start, window.end) == expected


@pytest.mark.parametrize(
    ("start", "end", "weekdays"),
    [
        (time(12), time(12), EVERY_DAY),  # empty
        (time(15), time(10), EVERY_DAY),  # inverted
        (time(21, 30), time(23), EVERY_DAY),  # empty after clamping
        (time(5), time(7, 30), EVERY_DAY),  # empty after clamping
        (time(9), time(20), frozenset()),  # no calling day at all
        (time(9), time(20), frozenset({7})),
        (time(9), time(20), frozenset({-1})),
        (time(9, tzinfo=UTC), time(20), EVERY_DAY),  # aware times are ambiguous
    ],
)
def test_invalid_windows(start: time, end: time, weekdays: frozenset[int]) -> None:
    with pytest.raises(ValueError):
        CallingWindow(start, end, weekdays)


def test_from_strings_and_weekdays_normalised() -> None:
    window = CallingWindow.from_strings("07:00", "19:30", [5, 6, 5])
    assert window == CallingWindow(time(8), time(19, 30), frozenset({5, 6}))
    assert isinstance(CallingWindow(weekdays=[0, 1]).weekdays, frozenset)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 7, 6, 8, 59, 59), False),  # Monday
        (datetime(2026, 7, 6, 9, 0), True),
        (datetime(2026, 7, 6, 19, 59, 59), True),
        (datetime(2026, 7, 6, 20, 0), False),  # end is exclusive
        (datetime(2026, 7, 10, 12, 0), True),  # Friday
        (datetime(2026, 7, 11, 12, 0), False),  # Saturday: quiet day
        (datetime(2026, 7, 12, 12, 0), False),  # Sunday
    ],
)
def test_contains_local(local: datetime, expected: bool) -> None:
    assert DEFAULT.contains_local(local) is expected


def test_is_open_requires_aware_instant_and_zones() -> None:
    with pytest.raises(ValueError):
        DEFAULT.is_open(datetime(2026, 7, 6, 15), zs("UTC"))
    with pytest.raises(ValueError):
        DEFAULT.is_open(utc(2026, 7, 6, 15), ())


# --- next_allowed_at: table ------------------------------------------------------------------------

NY = ("America/New_York",)
LONDON = ("Europe/London",)
CHICAGO = ("America/Chicago",)

CASES = [
    # id, now, zones, window, not_before, not_after, expected
    ("inside now", utc(2026, 7, 6, 15), NY, DEFAULT, None, None, utc(2026, 7, 6, 15)),
    ("sub-second now kept", utc(2026, 7, 6, 15, 0, 0, 123), NY, DEFAULT, None, None, utc(2026, 7, 6, 15, 0, 0, 123)),
    ("before opening", utc(2026, 7, 6, 12), NY, DEFAULT, None, None, utc(2026, 7, 6, 13)),
    ("exactly opening", utc(2026, 7, 6, 13), NY, DEFAULT, None, None, utc(2026, 7, 6, 13)),
    ("exactly closing", utc(2026, 7, 7, 0), NY, DEFAULT, None, None, utc(2026, 7, 7, 13)),
    ("last second", utc(2026, 7, 6, 23, 59, 59), NY, DEFAULT, None, None, utc(2026, 7, 6, 23, 59, 59)),
    ("friday evening to monday", utc(2026, 7, 11, 0, 30), NY, DEFAULT, None, None, utc(2026, 7, 13, 13)),
    ("saturday to monday", utc(2026, 7, 11, 15), NY, DEFAULT, None, None, utc(2026, 7, 13, 13)),
    ("sunday to monday", utc(2026, 7, 12, 23), NY, DEFAULT, None, None, utc(2026, 7, 13, 13)),
    (
        "weekend-only window",
        utc(2026, 7, 6, 15),
        NY,
        CallingWindow(weekdays=frozenset({5, 6})),
        None,
        None,
        utc(2026, 7, 11, 13),
    ),
    ("winter offset", utc(2026, 1, 5, 13, 30), NY, DEFAULT, None, None, utc(2026, 1, 5, 14)),
    ("local date differs from UTC date", utc(2026, 7, 7, 3), ("America/Los_Angeles",), DEFAULT, None, None,
     utc(2026, 7, 7, 16)),
    ("east of UTC", utc(2026, 7, 5, 23), ("Asia/Tokyo",), DEFAULT, None, None, utc(2026, 7, 6, 0)),
    ("half-hour zone", utc(2026, 7, 6, 3), ("Asia/Kolkata",), DEFAULT, None, None, utc(2026, 7, 6, 3, 30)),
    # Hard limits: a configured 07:00-22:00 still never rings before 08:00 or from 21:00.
    ("hard start", utc(2026, 7, 6, 11, 30), NY, CallingWindow(time(7), time(22)), None, None, utc(2026, 7, 6, 12)),
    ("hard end", utc(2026, 7, 7, 1, 0), NY, CallingWindow(time(7), time(22)), None, None, utc(2026, 7, 7, 12)),
    # DST, America/New_York: spring forward Sun 2026-03-08, fall back Sun 2026-11-01.
    ("NY sat before spring", utc(2026, 3, 7, 12), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 3, 7, 14)),
    ("NY spring-forward day", utc(2026, 3, 8, 6), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 3, 8, 13)),
    ("NY spring-forward closing", utc(2026, 3, 9, 0), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 3, 9, 13)),
    ("NY monday after spring", utc(2026, 3, 6, 23, 59), NY, DEFAULT, None, None, utc(2026, 3, 6, 23, 59)),
    ("NY weekend over spring", utc(2026, 3, 7, 1, 0), NY, DEFAULT, None, None, utc(2026, 3, 9, 13)),
    ("NY sat before fall", utc(2026, 10, 31, 12), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 10, 31, 13)),
    ("NY fall-back day", utc(2026, 11, 1, 5, 30), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 11, 1, 14)),
    ("NY fall-back closing", utc(2026, 11, 2, 0, 30), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 11, 2, 0, 30)),
    ("NY fall-back closed", utc(2026, 11, 2, 1, 0), NY, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 11, 2, 14)),
    # DST, Europe/London: spring forward Sun 2026-03-29, fall back Sun 2026-10-25.
    ("London spring-forward day", utc(2026, 3, 29, 0), LONDON, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 3, 29, 8)),
    ("London day before spring", utc(2026, 3, 28, 0), LONDON, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 3, 28, 9)),
    ("London spring closing", utc(2026, 3, 29, 19), LONDON, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 3, 30, 8)),
    ("London fall-back day", utc(2026, 10, 25, 0), LONDON, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 10, 25, 9)),
    ("London fall-back closing", utc(2026, 10, 25, 19, 30), LONDON, CallingWindow(weekdays=EVERY_DAY), None, None,
     utc(2026, 10, 25, 19, 30)),
    ("London monday after fall", utc(2026, 10, 23, 19), LONDON, DEFAULT, None, None, utc(2026, 10, 26, 9)),
    # Several zones: inside the window in every one of them.
    ("boise+LA waits for LA", utc(2026, 7, 6, 15, 30), ("America/Boise", "America/Los_Angeles"), DEFAULT, None,
     None, utc(2026, 7, 6, 16)),
    ("boise+LA closes with boise", utc(2026, 7, 7, 2), ("America/Boise", "America/Los_Angeles"), DEFAULT, None,
     None, utc(2026, 7, 7, 16)),
    ("narrow overlap", utc(2026, 7, 6, 3), ("Asia/Kolkata", "America/Bogota"), DEFAULT, None, None,
     utc(2026, 7, 6, 14)),
    ("narrow overlap last minute", utc(2026, 7, 6, 14, 29), ("Asia/Kolkata", "America/Bogota"), DEFAULT, None,
     None, utc(2026, 7, 6, 14, 29)),
    ("narrow overlap missed", utc(2026, 7, 6, 14, 30), ("Asia/Kolkata", "America/Bogota"), DEFAULT, None, None,
     utc(2026, 7, 7, 14)),
    ("no overlap", utc(2026, 7, 6, 3), ("Asia/Shanghai", "America/Bogota"), DEFAULT, None, None, None),
    # Tokyo Sat 08:30 / Honolulu Fri 13:30: waits for Tokyo's 09:00.
    ("weekday differs across zones", utc(2026, 7, 10, 23, 30), ("Asia/Tokyo", "Pacific/Honolulu"),
     CallingWindow(weekdays=EVERY_DAY), None, None, utc(2026, 7, 11, 0)),
    ("weekday differs, inside", utc(2026, 7, 11, 0, 30), ("Asia/Tokyo", "Pacific/Honolulu"),
     CallingWindow(weekdays=EVERY_DAY), None, None, utc(2026, 7, 11, 0, 30)),
    # Mon-Fri in both: Tokyo Tue 09:00 is the first instant that is a weekday in Honolulu too.
    ("weekday differs, mon-fri", utc(2026, 7, 10, 23, 30), ("Asia/Tokyo", "Pacific/Honolulu"), DEFAULT, None,
     None, utc(2026, 7, 14, 0)),
    # not_before / not_after.
    ("not_before inside window", utc(2026, 7, 6, 15), NY, DEFAULT, utc(2026, 7, 6, 17, 5), None,
     utc(2026, 7, 6, 17, 5)),
    ("not_before outside window", utc(2026, 7, 6, 15), NY, DEFAULT, utc(2026, 7, 7, 1), None, utc(2026, 7, 7, 13)),
    ("not_before in the past", utc(2026, 7, 6, 15), NY, DEFAULT, utc(2026, 7, 1), None, utc(2026, 7, 6, 15)),
    ("not_after before opening", utc(2026, 7, 6, 12), NY, DEFAULT, None, utc(2026, 7, 6, 12, 59), None),
    ("not_after equals opening", utc(2026, 7, 6, 12), NY, DEFAULT, None, utc(2026, 7, 6, 13), utc(2026, 7, 6, 13)),
    ("not_after in the past", utc(2026, 7, 6, 15), NY, DEFAULT, None, utc(2026, 7, 6, 14), None),
    ("not_after equals now inside", utc(2026, 7, 6, 15), NY, DEFAULT, None, utc(2026, 7, 6, 15), utc(2026, 7, 6, 15)),
    ("not_before after not_after", utc(2026, 7, 6, 15), NY, DEFAULT, utc(2026, 7, 8), utc(2026, 7, 7), None),
    ("non-UTC inputs", datetime(2026, 7, 6, 8, tzinfo=ZoneInfo("America/New_York")), NY, DEFAULT, None, None,
     utc(2026, 7, 6, 13)),
]


@pytest.mark.parametrize(
    ("now", "zones", "window", "not_before", "not_after", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_next_allowed_at(
    now: datetime,
    zones: tuple[str, ...],
    window: CallingWindow,
    not_before: datetime | None,
    not_after: datetime | None,
    expected: datetime | None,
) -> None:
    result = next_allowed_at(now, zs(*zones), window, not_before, not_after)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC
        assert window.is_open(result, zs(*zones))


def test_toll_free_number_spanning_guam_to_halifax() -> None:
    """+1 800 maps to zones from Guam to Newfoundland: no common window in summer, one hour in winter."""
    zones = callee_zones("+18005550100", None)
    assert next_allowed_at(utc(2026, 7, 6, 12), zones, DEFAULT) is None
    winter = next_allowed_at(utc(2026, 1, 5, 12), zones, DEFAULT)
    assert winter == utc(2026, 1, 5, 23)
    assert not DEFAULT.is_open(winter + timedelta(hours=1), zones)


def test_horizon_limits_the_search() -> None:
    saturday_only = CallingWindow(weekdays=frozenset({5}))
    monday = utc(2026, 7, 6, 15)
    assert next_allowed_at(monday, zs(*NY), saturday_only) == utc(2026, 7, 11, 13)
    assert next_allowed_at(monday, zs(*NY), saturday_only, horizon=timedelta(days=3)) is None


@pytest.mark.parametrize(
    ("now", "zones", "not_before", "not_after"),
    [
        (datetime(2026, 7, 6, 15), ("UTC",), None, None),
        (utc(2026, 7, 6, 15), ("UTC",), datetime(2026, 7, 6), None),
        (utc(2026, 7, 6, 15), ("UTC",), None, datetime(2026, 7, 9)),
        (utc(2026, 7, 6, 15), (), None, None),
    ],
)
def test_next_allowed_at_rejects_naive_or_empty(
    now: datetime, zones: tuple[str, ...], not_before: datetime | None, not_after: datetime | None
) -> None:
    with pytest.raises(ValueError):
        next_allowed_at(now, zs(*zones), DEFAULT, not_before, not_after)


# --- brute-force cross-check (a seeded property test) -------------------------------------------------

ZONE_POOL = [
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "America/Santiago",
    "Asia/Tokyo",
    "UTC",
]


def _brute_force(start: datetime, zones: tuple[ZoneInfo, ...], window: CallingWindow, limit: datetime) -> datetime | None:
    if window.is_open(start, zones):
        return start
    minute = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute <= limit:
        if window.is_open(minute, zones):
            return minute
        minute += timedelta(minutes=1)
    return None


def _random_case(rng: random.Random) -> tuple[datetime, tuple[ZoneInfo, ...], CallingWindow]:
    # Starts cluster around 2026's DST transitions on both hemispheres.
    anchors = [utc(2026, 3, 6), utc(2026, 3, 27), utc(2026, 4, 3), utc(2026, 9, 25), utc(2026, 10, 23), utc(2026, 10, 30)]
    now = rng.choice(anchors) + timedelta(minutes=rng.randrange(0, 4 * 24 * 60), seconds=rng.randrange(60))
    zones = tuple(ZoneInfo(n) for n in sorted(set(rng.sample(ZONE_POOL, rng.choice([1, 1, 2, 3])))))
    start_minutes = rng.randrange(7 * 60, 14 * 60, 15)
    end_minutes = rng.randrange(start_minutes + 60, 22 * 60 + 1, 15)
    weekdays = frozenset(rng.sample(range(7), rng.randrange(1, 8)))
    window = CallingWindow(
        time(start_minutes // 60, start_minutes % 60), time(min(end_minutes // 60, 23), end_minutes % 60), weekdays
    )
    return now, zones, window


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    now, zones, window = _random_case(rng)
    horizon = timedelta(days=3)
    expected = _brute_force(now, zones, window, now + horizon)
    result = next_allowed_at(now, zones, window, horizon=horizon)
    assert result == expected, (now, [z.key for z in zones], window)
    if result is not None:
        assert result >= now
        assert window.is_open(result, zones)
        for zone in zones:
            local = result.astimezone(zone)
            assert HARD_START <= local.time() < HARD_END
