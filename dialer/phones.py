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
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(
            "phone number is not a valid number (check the country code and area code; "
            f"numbers without +country code are read as {default_region.upper()})"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
