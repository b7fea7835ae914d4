"""The candidate's local currency from their number's country, for amounts said without one ("sixty thousand").

Never silently US dollars: a country not in this table gives None, and the agent asks which currency is meant.
"""

from __future__ import annotations

import phonenumbers

NO_CURRENCY = "XXX"  # ISO 4217: "no currency"; what an amount said without one is left with when none is known

_EURO = ("AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT",
         "SI", "SK")
_BY_REGION: dict[str, str] = {
    "US": "USD", "PR": "USD", "CA": "CAD", "GB": "GBP", "AU": "AUD", "NZ": "NZD", "CH": "CHF", "JP": "JPY",
    "IN": "INR", "SE": "SEK", "NO": "NOK", "DK": "DKK", "PL": "PLN", "MX": "MXN", "SG": "SGD", "ZA": "ZAR",
    **dict.fromkeys(_EURO, "EUR"),
}


def currency_for_number(e164: str) -> str | None:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return _BY_REGION.get(region or "")
