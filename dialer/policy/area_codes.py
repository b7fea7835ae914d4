"""Which US states a number's area code serves, from the geocoder data that ships with phonenumbers (offline).

The geocoder describes each NANP prefix either by state ("Florida") or by place ("Jersey City, NJ"). An area code
is mapped to every state any of its prefixes names, so a code shared by several states (201: New Jersey and a few
New York exchanges) yields all of them, and the caller applies the strictest rule. A number ported from another
state keeps its area code, which is why the record's own state is added to these, never replaced by them.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands",
}
_BY_NAME = {name.lower(): code for code, name in US_STATES.items()} | {"washington state": "WA", "washington d.c.": "DC"}


def state_code(text: str) -> str | None:
    """'FL', 'fl' or 'Florida' → 'FL'; None for anything else (a province, a typo)."""
    cleaned = text.strip()
    if cleaned.upper() in US_STATES:
        return cleaned.upper()
    return _BY_NAME.get(cleaned.lower())


def _state_of_description(description: str) -> str | None:
    # "Florida", "Washington State", or "Jersey City, NJ": the state is the whole text or its last part.
    return state_code(description) or state_code(description.rsplit(",", 1)[-1])


@lru_cache(maxsize=1)
def area_code_states() -> dict[str, frozenset[str]]:
    """Area code (3 digits) → the US states its prefixes are described with. Built once, in about 50 ms."""
    from phonenumbers.geodata import GEOCODE_DATA

    found: dict[str, set[str]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4:
            continue
        description = names.get("en")
        state = _state_of_description(description) if description else None
        if state is not None:
            found.setdefault(prefix[1:4], set()).add(state)
    return {npa: frozenset(states) for npa, states in found.items()}


def states_for_number(e164: str) -> frozenset[str]:
    """The US states a number's area code serves; empty outside the NANP's US area codes or when unparsable."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return frozenset()
    if parsed.country_code != 1:
        return frozenset()
    national = phonenumbers.national_significant_number(parsed)
    return area_code_states().get(national[:3], frozenset())
