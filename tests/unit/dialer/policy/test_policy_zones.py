"""Callee time zones: the number's and the record's together; unknown means not callable."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from dialer.policy import NoTimeZoneError, callee_zones, zone_from_name


@pytest.mark.parametrize(
    ("e164", "explicit", "expected"),
    [
        ("+12125551234", None, ("America/New_York",)),
        ("+13125550100", None, ("America/Chicago",)),
        ("+14155550100", None, ("America/Los_Angeles",)),
        ("+12085550100", None, ("America/Boise", "America/Los_Angeles")),
        ("+17015550100", None, ("America/Denver", "America/North_Dakota/Center")),
        ("+61212345678", None, ("Australia/Sydney",)),
        ("+819012345678", None, ("Asia/Tokyo",)),
        # The record's zone and the number's both bound the window (issue #13: a wrong record zone rang Tokyo at 06:31).
        ("+12125551234", "Europe/London", ("America/New_York", "Europe/London")),
        ("+12125551234", "  Europe/Paris ", ("America/New_York", "Europe/Paris")),
        ("+81312345678", "America/New_York", ("America/New_York", "Asia/Tokyo")),
        ("+12125551234", "America/New_York", ("America/New_York",)),
        # Blank explicit zone: fall back to the number.
        ("+12125551234", "", ("America/New_York",)),
        ("+12125551234", "   ", ("America/New_York",)),
        # A number unknown to phonenumbers is still callable when the record knows the zone.
        ("+15555550100", "America/Denver", ("America/Denver",)),
    ],
)
def test_callee_zones(e164: str, explicit: str | None, expected: tuple[str, ...]) -> None:
    zones = callee_zones(e164, explicit)
    assert tuple(z.key for z in zones) == expected
    assert all(isinstance(z, ZoneInfo) for z in zones)


def test_country_level_fallback_gives_every_zone_sorted() -> None:
    zones = callee_zones("+61412345678", None)  # Australian mobile: country-wide.
    keys = [z.key for z in zones]
    assert len(keys) > 3
    assert keys == sorted(set(keys))
    assert "Australia/Perth" in keys and "Australia/Sydney" in keys


@pytest.mark.parametrize(
    ("e164", "explicit"),
    [
        ("+15555550100", None),  # fictional US range: Etc/Unknown
        ("+441632960000", None),  # UK drama range: Etc/Unknown
        ("+999", None),  # unparseable
        ("not a number", None),
        ("2125551234", None),  # no country code, no default region
        ("+12125551234", "Mars/Olympus_Mons"),
        ("+12125551234", "Etc/Unknown"),
        ("+12125551234", "../../etc/passwd"),
        ("+12125551234", "new_york"),
    ],
)
def test_no_zone_raises(e164: str, explicit: str | None) -> None:
    with pytest.raises(NoTimeZoneError):
        callee_zones(e164, explicit)


@pytest.mark.parametrize("e164", ["+15555550187", "+441632960042", "+99912345687"])
def test_error_message_never_contains_the_number(e164: str) -> None:
    with pytest.raises(NoTimeZoneError) as info:
        callee_zones(e164, None)
    message = str(info.value)
    assert e164 not in message
    assert e164[1:] not in message
    assert e164[-6:] not in message
    assert message.endswith(e164[-2:])


@pytest.mark.parametrize("name", ["UTC", "America/New_York", "Asia/Kolkata", "US/Eastern"])
def test_zone_from_name_accepts_iana(name: str) -> None:
    assert zone_from_name(name).key == name


@pytest.mark.parametrize("name", ["", " ", "Etc/Unknown", "EST5EDT/x", "Nowhere"])
def test_zone_from_name_rejects(name: str) -> None:
    with pytest.raises(NoTimeZoneError):
        zone_from_name(name)


def test_a_wrong_record_zone_cannot_ring_tokyo_at_dawn() -> None:
    """+81 3 with America/New_York was dialled at 06:31 Tokyo time (issue #13)."""
    from datetime import datetime, timezone

    from dialer.policy import CallingWindow

    at = datetime(2026, 12, 2, 21, 31, tzinfo=timezone.utc)  # 16:31 in New York, 06:31 next day in Tokyo
    zones = callee_zones("+81312345678", "America/New_York")
    assert not CallingWindow().is_open(at, zones)


@pytest.mark.parametrize(
    ("e164", "zone", "flagged"),
    [
        ("+81312345678", "America/New_York", True),
        ("+12125551234", "America/Los_Angeles", False),  # another zone of the same country
        ("+12125551234", "US/Eastern", False),  # a link to one of the country's zones
        ("+12125551234", "Europe/London", True),
        ("+12125551234", None, False),
    ],
)
def test_a_record_zone_that_contradicts_the_numbers_country_is_flagged(e164: str, zone: str | None, flagged: bool) -> None:
    from dialer.policy import record_zone_conflict

    warning = record_zone_conflict(e164, zone)
    assert (warning is not None) is flagged
    if warning:
        assert e164 not in warning and "country" in warning
