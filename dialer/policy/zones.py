"""The callee's time zones: what the number says and the record's own zone, together.

A number can map to several zones (a US area code spanning two zones, a mobile number known only by
country), and the record may name another. The window must then hold in every one of them, so this
returns all of them.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources

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


def number_zones(e164: str) -> tuple[ZoneInfo, ...]:
    """The zones phonenumbers knows for `e164`, sorted by name; NoTimeZoneError when it knows none."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise NoTimeZoneError(f"cannot parse number {mask_phone(e164)}") from None
    names = sorted({n for n in pn_timezone.time_zones_for_number(parsed) if n != UNKNOWN_ZONE})
    if not names:
        raise NoTimeZoneError(f"no time zone known for number {mask_phone(e164)}")
    return tuple(zone_from_name(name) for name in names)


def callee_zones(e164: str, explicit_tz: str | None) -> tuple[ZoneInfo, ...]:
    """Zones to respect when calling `e164`, sorted by name and without duplicates: the number's zones and the
    record's zone together, so the window must be open where the phone is *and* where the record says the
    candidate is. A recruiter system's wrong zone can only narrow the hours, never ring a phone at 06:31.

    The record's zone alone when phonenumbers knows no zone for the number; an invalid record zone is an
    error rather than a silent fallback.
    """
    record = zone_from_name(explicit_tz) if explicit_tz is not None and explicit_tz.strip() else None
    try:
        zones = number_zones(e164)
    except NoTimeZoneError:
        if record is None:
            raise
        return (record,)
    if record is None or record in zones:
        return zones
    return tuple(sorted((*zones, record), key=lambda zone: zone.key))


def local_zone(e164: str, explicit_tz: str | None) -> ZoneInfo:
    """The one zone to speak in (the agent's "local time", a callback's wall clock): the record's, else the number's."""
    if explicit_tz is not None and explicit_tz.strip():
        return zone_from_name(explicit_tz)
    return number_zones(e164)[0]


def record_zone_conflict(e164: str, explicit_tz: str | None) -> str | None:
    """A sentence when the record's zone is not a zone of the number's country (likely a wrong field upstream).

    Zones are compared by name and, for links such as US/Eastern, by their January and July offsets.
    None when there is nothing to compare (no record zone, a non-geographic number, an unknown country).
    """
    if explicit_tz is None or not explicit_tz.strip():
        return None
    try:
        record = zone_from_name(explicit_tz)
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except (NoTimeZoneError, phonenumbers.NumberParseException):
        return None
    country = _country_zones().get(region or "")
    if not country:
        return None
    if record.key in country or _offsets(record) in {_offsets(ZoneInfo(name)) for name in country}:
        return None
    return (
        f"time zone {record.key} is not a zone of the number's country ({region}); the calling window must be open "
        "in both, so this candidate is called only when it is"
    )


def _offsets(zone: ZoneInfo) -> tuple[object, object]:
    return (datetime(2026, 1, 15, 12, tzinfo=zone).utcoffset(), datetime(2026, 7, 15, 12, tzinfo=zone).utcoffset())


_COUNTRIES: dict[str, frozenset[str]] | None = None


def _country_zones() -> dict[str, frozenset[str]]:
    """Country code → its zones, from the tz database's own tables (zone1970.tab and zone.tab, in tzdata)."""
    global _COUNTRIES
    if _COUNTRIES is None:
        table: dict[str, set[str]] = {}
        for name in ("zone1970.tab", "zone.tab"):
            text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
            for line in text.splitlines():
                if not line or line.startswith("#"):
                    continue
                codes, _, zone = line.split("\t")[:3]
                for code in codes.split(","):
                    table.setdefault(code, set()).add(zone)
        _COUNTRIES = {code: frozenset(zones) for code, zones in table.items()}
    return _COUNTRIES


_KNOWN: frozenset[str] | None = None


def _known_zones() -> frozenset[str]:
    global _KNOWN
    if _KNOWN is None:
        _KNOWN = frozenset(available_timezones())
    return _KNOWN
