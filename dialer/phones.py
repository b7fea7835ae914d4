"""Phone numbers: parse and normalize with phonenumbers, and mask them for anything a human might read in logs."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """The message says what is wrong in words a recruiter can act on (it never echoes the number)."""


def normalize_phone(raw: str, *, default_region: str) -> str:
    """E.164 for any valid number; national formats are read in `default_region` (e.g. "US")."""
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    try:
        parsed = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(_parse_error_message(exc)) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber("phone number has the wrong number of digits for its country")
    if parsed.extension:
        raise InvalidPhoneNumber("phone number has an extension, which cannot be dialled; remove it (ext./x…)")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(
            "phone number is not a valid number (check the country code and area code; "
            f"numbers without +country code are read as {default_region.upper()})"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Toll fraud: premium-rate, shared-cost, satellite and other non-geographic numbers are never called.
DIALABLE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_TYPE_NAMES = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost",
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free",
    phonenumbers.PhoneNumberType.VOIP: "a VoIP",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "a personal (forwarding)",
    phonenumbers.PhoneNumberType.PAGER: "a pager",
    phonenumbers.PhoneNumberType.UAN: "a universal access",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail access",
}


def check_dialable(e164: str, *, regions: frozenset[str]) -> None:
    """Only fixed-line and mobile numbers of the configured regions (DIALER_CALL_REGIONS) may be rung."""
    parsed = phonenumbers.parse(e164, None)
    kind = phonenumbers.number_type(parsed)
    if kind not in DIALABLE_TYPES:
        what = _TYPE_NAMES.get(kind, "not a fixed-line or mobile")
        raise InvalidPhoneNumber(f"phone number is {what} number; only fixed-line and mobile numbers are called")
    region = phonenumbers.region_code_for_number(parsed)
    if region not in regions:
        where = "a non-geographic (satellite or global) number" if region in (None, "001") else f"in region {region}"
        allowed = ", ".join(sorted(regions))
        raise InvalidPhoneNumber(f"phone number is {where}; calls go only to {allowed} (DIALER_CALL_REGIONS)")


def _parse_error_message(exc: phonenumbers.NumberParseException) -> str:
    kind = exc.error_type
    if kind == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        return "phone number has no valid country code (use +<country code>, e.g. +14155552671)"
    if kind == phonenumbers.NumberParseException.NOT_A_NUMBER:
        return "phone number is not a number"
    if kind in (phonenumbers.NumberParseException.TOO_SHORT_NSN, phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD):
        return "phone number is too short"
    return "phone number is too long"


def mask_phone(e164: str | None) -> str:
    """`+1*******71`: enough to tell two calls apart in a log, not enough to ring anyone."""
    if not e164:
        return "<none>"
    if len(e164) <= 4:
        return "*" * len(e164)
    return e164[:2] + "*" * (len(e164) - 4) + e164[-2:]
