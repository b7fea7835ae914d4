"""Input rules every request body shares, checked before anything reaches a service or the database.

- No NUL character anywhere: PostgreSQL's text cannot hold one (it failed there and passed on SQLite); both now
  answer the same 422.
- Field names are identifiers (they become the agent's spoken questions), and names, values and lists are bounded,
  so one request's work stays small and linear.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

MAX_FIELD_NAME = 64
MAX_FIELDS = 100  # per candidate: values held, fields required, fields a batch asks
MAX_FIELD_TEXT = 2_000
MAX_FIELD_LIST = 50
MAX_ID = 64

FIELD_NAME_PATTERN = rf"^[A-Za-z][A-Za-z0-9_]{{0,{MAX_FIELD_NAME - 1}}}$"

FieldName = Annotated[
    str,
    StringConstraints(pattern=FIELD_NAME_PATTERN, max_length=MAX_FIELD_NAME),
    Field(description="letters, digits and _ (starting with a letter), at most 64, e.g. quota_attainment"),
]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]

Scalar = (
    Annotated[str, StringConstraints(max_length=MAX_FIELD_TEXT)]
    | Annotated[int, Field(strict=True, ge=-(10**15), le=10**15)]
    | Annotated[float, Field(allow_inf_nan=False)]
    | bool
    | None
)
FieldValue = Scalar | Annotated[list[Scalar], Field(max_length=MAX_FIELD_LIST)]
FieldValues = Annotated[dict[FieldName, FieldValue], Field(max_length=MAX_FIELDS)]
FieldNames = Annotated[list[FieldName], Field(max_length=MAX_FIELDS)]

# Keypad digits only: "\d" would also take Arabic-Indic and other Unicode digits no keypad can type.
PIN_PATTERN = r"^[0-9]{4,8}$"
# A plain address check (one @, a dot in the domain, no spaces or markup); delivery is the mail system's business.
EMAIL_PATTERN = r"^[^@\s<>()\[\],;:\"]{1,64}@[^@\s<>()\[\],;:\"]+\.[A-Za-z]{2,}$"

# A header token such as Idempotency-Key: visible ASCII, no spaces.
HEADER_TOKEN_PATTERN = r"^[\x21-\x7e]+$"

# What to tell the caller when a value does not match one of these patterns (pydantic would echo the regex).
PATTERN_MESSAGES = {
    FIELD_NAME_PATTERN: "a field name is letters, digits and _ (starting with a letter), at most 64 characters",
    PIN_PATTERN: "pin must be 4 to 8 digits 0-9 (callers type it on the keypad)",
    EMAIL_PATTERN: "not an e-mail address; use name@example.com",
    HEADER_TOKEN_PATTERN: "use visible ASCII characters only (no spaces), e.g. a UUID",
}

NO_NUL_PATTERN = "^[^\\u0000]*$"
NUL_MESSAGE = "contains a NUL character (\\u0000); remove it"


def has_nul(value: Any) -> bool:
    """Whether a string anywhere in `value` (dict keys included) holds a NUL; iterative, so depth costs no stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)
    return False
