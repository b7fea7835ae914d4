"""Checks an answer against its field type before anything is read back or saved.

Uses the dialer's own pure `dialer.fields` rules, so the value the agent reads back to the callee is
exactly the value the dialer will store (the dialer re-checks it on save and answers 422 if not).
"""

from __future__ import annotations

from datetime import date

from dialer.currency import NO_CURRENCY
from dialer.fields import FieldSpec, FieldType, FieldValueError, normalize, spec_for

from .schemas import CallField


class AnswerInvalid(ValueError):
    """The answer does not fit the field; the message is speakable (it comes from dialer.fields)."""


def spec_of(field: CallField) -> FieldSpec:
    """The catalog's spec (with its units and synonyms) when it matches what the dialer sent;
    otherwise a spec built from the call context, so a custom field keeps its declared type."""
    known = spec_for(field.name)
    if known.type == field.type and list(known.choices) == field.choices:
        return known
    try:
        kind = FieldType(field.type)
    except ValueError:
        kind = FieldType.TEXT
    if kind is FieldType.CHOICE and not field.choices:
        kind = FieldType.TEXT
    choices = tuple(field.choices) if kind is FieldType.CHOICE else ()
    return FieldSpec(name=field.name, label=field.label, type=kind, choices=choices)


def normalize_answer(field: CallField, raw: str, *, today: date, currency: str | None = None) -> str:
    """The canonical value to read back and save. An amount said without a currency takes the candidate's local
    currency (`currency`); with none known, the callee is asked which one: never silently US dollars."""
    try:
        value = normalize(spec_of(field), raw, today=today, default_currency=currency or NO_CURRENCY)
    except FieldValueError as exc:
        raise AnswerInvalid(exc.message) from None
    if value.endswith(f" {NO_CURRENCY}"):
        raise AnswerInvalid("Which currency is that amount in?")
    return value
