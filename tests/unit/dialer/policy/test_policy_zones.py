"""Callee time zones: the record's zone wins, else phonenumbers; unknown means not callable."""

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
        # The record's zone beats the number's.
        ("+12125551234", "Europe/London", ("Europe/London",)),
        ("+12125551234", "  Europe/Paris ", ("Europe/Paris",)),
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
