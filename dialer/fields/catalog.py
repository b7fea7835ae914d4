"""The field catalog: the profile fields the agent collects, their types, and what counts as missing.

Answer statuses: the agent may record a field as `AnswerStatus.UNKNOWN` ("I don't know") or
`AnswerStatus.DECLINED` ("I'd rather not say"). Such a field still counts as missing in `missing_fields`,
because the data is still absent; the dialer keeps the status separately (so it need not ask again in
the same call, and a recruiter can see why the value is empty).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

MAX_TEXT_LENGTH = 500


class FieldType(StrEnum):
    NUMBER = "number"
    PERCENTAGE = "percentage"
    MONEY = "money"
    DATE = "date"
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT = "text"


class AnswerStatus(StrEnum):
    """How a field was answered. Only ANSWERED carries a value; the others leave the field missing."""

    ANSWERED = "answered"
    UNKNOWN = "unknown"
    DECLINED = "declined"


class FieldValueError(ValueError):
    """An answer that does not fit the field; the message is meant to be spoken to the candidate."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldSpec:
    """One collectable field. `unit` (plural, e.g. "weeks") qualifies numbers; `synonyms` maps phrases to choices."""

    name: str
    label: str
    type: FieldType
    choices: tuple[str, ...] = ()
    question: str = ""
    unit: str = ""
    synonyms: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValueError(f"choice field {self.name!r} needs choices")
        if self.type is not FieldType.CHOICE and self.choices:
            raise ValueError(f"only choice fields have choices ({self.name!r})")
        if any(choice not in self.choices for _, choice in self.synonyms):
            raise ValueError(f"a synonym of {self.name!r} points at an unknown choice")


def _spec(name: str, label: str, type_: FieldType, question: str, **extra: object) -> FieldSpec:
    return FieldSpec(name=name, label=label, type=type_, question=question, **extra)  # type: ignore[arg-type]


CATALOG: Mapping[str, FieldSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            _spec("quota_attainment", "quota attainment", FieldType.PERCENTAGE,
                  "What was your quota attainment last year, as a percentage?"),
            _spec("start_date", "start date", FieldType.DATE, "When could you start a new role?"),
            _spec("expected_salary", "expected salary", FieldType.MONEY,
                  "What base salary are you looking for, per year?"),
            _spec("current_salary", "current salary", FieldType.MONEY, "What is your current base salary, per year?"),
            _spec("notice_period_weeks", "notice period", FieldType.NUMBER,
                  "How many weeks of notice do you need to give?", unit="weeks"),
            _spec("years_experience", "years of experience", FieldType.NUMBER,
                  "How many years of relevant experience do you have?", unit="years"),
            _spec("team_size_managed", "team size managed", FieldType.NUMBER,
                  "How many people do you manage today?", unit="people"),
            _spec("willing_to_relocate", "willing to relocate", FieldType.YES_NO, "Would you be open to relocating?"),
            _spec("open_to_travel", "open to travel", FieldType.YES_NO, "Are you open to travel for the role?"),
            _spec("work_authorization", "work authorization", FieldType.CHOICE,
                  "Are you a citizen, a permanent resident, on a work visa, or would you need visa sponsorship?",
                  choices=("citizen", "permanent_resident", "visa_holder", "visa_required"),
                  synonyms=(("green card", "permanent_resident"), ("work visa", "visa_holder"),
                            ("sponsorship", "visa_required"), ("need a visa", "visa_required"),
                            ("need a work visa", "visa_required"), ("need visa", "visa_required"))),
            _spec("remote_preference", "remote preference", FieldType.CHOICE,
                  "Do you prefer remote, hybrid, or on-site work?",
                  choices=("remote", "hybrid", "onsite"),
                  synonyms=(("on site", "onsite"), ("in office", "onsite"), ("in the office", "onsite"),
                            ("from home", "remote"))),
            _spec("current_title", "current job title", FieldType.TEXT, "What is your current job title?"),
            _spec("current_employer", "current employer", FieldType.TEXT, "Who is your current employer?"),
            _spec("location", "location", FieldType.TEXT, "Where are you based?"),
        )
    }
)


def label_for(name: str) -> str:
    """A readable label from a field name: "notice_period" -> "notice period"."""
    return " ".join(re.split(r"[_\-\s]+", name.strip())).strip()


def spec_for(name: str) -> FieldSpec:
    """The catalog's spec, or free text labelled from the name for fields the catalog does not know."""
    if name in CATALOG:
        return CATALOG[name]
    label = label_for(name) or name
    return FieldSpec(name=name, label=label, type=FieldType.TEXT, question=f"What is your {label}?")


def missing_fields(required: Sequence[str], fields: Mapping[str, object]) -> list[str]:
    """Required fields that are absent or empty, in `required` order, without duplicates.

    Empty means None, a blank string, or an empty container. Fields answered "unknown" or "declined"
    have no value and so are still listed here (see the module docstring).
    """
    missing: dict[str, None] = {}  # insertion-ordered set: linear in len(required), not quadratic
    for name in required:
        if name not in missing and _is_empty(fields.get(name)):
            missing[name] = None
    return list(missing)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return len(value) == 0
    return False
