"""The callee's time zones: the record's own zone if it has one, else what the number says.

A number can map to several zones (a US area code spanning two zones, a mobile number known only by
country). The window must then hold in every one of them, so this returns all of them.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as pn_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dialer.phones import mask_phone

UNKNOWN_ZONE = "Etc/Unknown"
# In the zone database but no place's clock: "Factory" (no offset meaning), "localtime" (the server's own zone).
NOT_A_PLACE = frozenset({UNKNOWN_ZONE, "Factory", "localtime", "posixrules", "posix/localtime"})


class NoTimeZoneError(ValueError):
    """No usable zone for a callee; the caller must treat the callee as not callable.

    The message never contains the phone number (it may end up in logs).
    """


def zone_from_name(name: str) -> ZoneInfo:
    """A validated IANA zone; raises NoTimeZoneError for unknown or empty names and for Etc/Unknown."""
    cleaned = name.strip()
    if not cleaned or cleaned in NOT_A_PLACE:
        raise NoTimeZoneError(f"unknown time zone {cleaned!r}")
    # ZoneInfo accepts file-ish keys like "../x" by raising ValueError; normalise both failure kinds.
    if cleaned not in _known_zones():
        raise NoTimeZoneError(f"unknown time zone {cleaned!r}")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise NoTimeZoneError(f"unknown time zone {cleaned!r}") from None


def callee_zones(e164: str, explicit_tz: str | None) -> tuple[ZoneInfo, ...]:
    """Zones to respect when calling `e164`, sorted by name and without duplicates.

    `explicit_tz` (the candidate record's zone) wins when set; an invalid one is an error rather than a
    silent fallback, because the record claims to know better than the number.
    """
    if explicit_tz is not None and explicit_tz.strip():
        return (zone_from_name(explicit_tz),)
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise NoTimeZoneError(f"cannot parse number {mask_phone(e164)}") from None
    names = sorted({n for n in pn_timezone.time_zones_for_number(parsed) if n != UNKNOWN_ZONE})
    if not names:
        raise NoTimeZoneError(f"no time zone known for number {mask_phone(e164)}")
    return tuple(zone_from_name(name) for name in names)


_KNOWN: frozenset[str] | None = None


def _known_zones() -> frozenset[str]:
    global _KNOWN
    if _KNOWN is None:
        _KNOWN = frozenset(available_timezones())
    return _KNOWN
