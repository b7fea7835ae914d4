"""Field catalog, spoken-answer normalisation, missing fields and answer statuses."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from dialer.fields import (
    CATALOG,
    AnswerStatus,
    FieldSpec,
    FieldType,
    FieldValueError,
    label_for,
    missing_fields,
    normalize,
    spec_for,
)

TODAY = date(2026, 7, 8)  # a Wednesday


def norm(name: str, raw: str, **kwargs: Any) -> str:
    return normalize(spec_for(name), raw, today=TODAY, **kwargs)


# --- catalog and specs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "type_", "choices"),
    [
        ("quota_attainment", FieldType.PERCENTAGE, ()),
        ("start_date", FieldType.DATE, ()),
        ("expected_salary", FieldType.MONEY, ()),
        ("current_salary", FieldType.MONEY, ()),
        ("notice_period_weeks", FieldType.NUMBER, ()),
        ("years_experience", FieldType.NUMBER, ()),
        ("willing_to_relocate", FieldType.YES_NO, ()),
        ("work_authorization", FieldType.CHOICE, ("citizen", "permanent_resident", "visa_holder", "visa_required")),
        ("remote_preference", FieldType.CHOICE, ("remote", "hybrid", "onsite")),
    ],
)
def test_catalog(name: str, type_: FieldType, choices: tuple[str, ...]) -> None:
    spec = spec_for(name)
    assert spec is CATALOG[name]
    assert (spec.name, spec.type, spec.choices) == (name, type_, choices)
    assert spec.label and spec.question.endswith("?")


def test_every_catalog_entry_is_consistent() -> None:
    for name, spec in CATALOG.items():
        assert spec.name == name
        assert "_" not in spec.label
        assert spec.question


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("notice_period", "notice period"),
        ("favourite_programming_language", "favourite programming language"),
        ("  spaced__name ", "spaced name"),
        ("kebab-case-name", "kebab case name"),
        ("single", "single"),
    ],
)
def test_unknown_names_are_free_text(name: str, label: str) -> None:
    spec = spec_for(name)
    assert (spec.name, spec.label, spec.type, spec.choices) == (name, label, FieldType.TEXT, ())
    assert label in spec.question
    assert label_for(name) == label


def test_spec_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec_for("start_date").label = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"type": FieldType.CHOICE},
        {"type": FieldType.TEXT, "choices": ("a",)},
        {"type": FieldType.CHOICE, "choices": ("a",), "synonyms": (("x", "b"),)},
    ],
)
def test_spec_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FieldSpec(name="f", label="f", **kwargs)


def test_type_and_status_strings() -> None:
    assert [t.value for t in FieldType] == ["number", "percentage", "money", "date", "yes_no", "choice", "text"]
    assert [s.value for s in AnswerStatus] == ["answered", "unknown", "declined"]


# --- normalize: accepted forms -----------------------------------------------------------------------

ACCEPTED = [
    # percentage
    ("quota_attainment", "112%", "112%"),
    ("quota_attainment", "112 %", "112%"),
    ("quota_attainment", "112 percent", "112%"),
    ("quota_attainment", "112 per cent", "112%"),
    ("quota_attainment", "112", "112%"),
    ("quota_attainment", "a hundred and twelve percent", "112%"),
    ("quota_attainment", "one hundred twelve percent", "112%"),
    ("quota_attainment", "A Hundred And Twelve Percent.", "112%"),
    ("quota_attainment", "about 95%", "95%"),
    ("quota_attainment", "ninety-five percent", "95%"),
    ("quota_attainment", "87.5%", "87.5%"),
    ("quota_attainment", "87.50 percent", "87.5%"),
    ("quota_attainment", "0%", "0%"),
    ("quota_attainment", "a hundred percent", "100%"),
    ("quota_attainment", "hundred percent", "100%"),
    ("quota_attainment", "two hundred percent", "200%"),
    ("quota_attainment", "eighty and a half percent", "80.5%"),
    # money
    ("expected_salary", "120k", "120000 USD"),
    ("expected_salary", "120K", "120000 USD"),
    ("expected_salary", "120,000", "120000 USD"),
    ("expected_salary", "$120,000", "120000 USD"),
    ("expected_salary", "$120k", "120000 USD"),
    ("expected_salary", "120,000 dollars", "120000 USD"),
    ("expected_salary", "120000 USD", "120000 USD"),
    ("expected_salary", "usd 120000", "120000 USD"),
    ("expected_salary", "120 thousand", "120000 USD"),
    ("expected_salary", "120 grand", "120000 USD"),
    ("expected_salary", "a hundred and twenty thousand dollars", "120000 USD"),
    ("expected_salary", "one hundred twenty thousand", "120000 USD"),
    ("expected_salary", "1.2m", "1200000 USD"),
    ("expected_salary", "1.2 million", "1200000 USD"),
    ("expected_salary", "around $95k a year", "95000 USD"),
    ("expected_salary", "95,000 per year", "95000 USD"),
    ("expected_salary", "95000 annually", "95000 USD"),
    ("expected_salary", "120000.50", "120000.50 USD"),
    ("expected_salary", "£80k", "80000 GBP"),
    ("expected_salary", "£80,000", "80000 GBP"),
    ("expected_salary", "80k pounds", "80000 GBP"),
    ("expected_salary", "€90,000", "90000 EUR"),
    ("expected_salary", "90000 EUR", "90000 EUR"),
    ("expected_salary", "90k euros", "90000 EUR"),
    ("expected_salary", "EUR 90k", "90000 EUR"),
    ("expected_salary", "150000 CHF", "150000 CHF"),
    ("expected_salary", "C$110k", "110000 CAD"),
    ("expected_salary", "110k canadian dollars", "110000 CAD"),
    ("current_salary", "₹2,400,000", "2400000 INR"),
    # number
    ("notice_period_weeks", "4", "4"),
    ("notice_period_weeks", "4 weeks", "4"),
    ("notice_period_weeks", "four weeks", "4"),
    ("notice_period_weeks", "Four.", "4"),
    ("notice_period_weeks", "one week", "1"),
    ("notice_period_weeks", "a week", "1"),
    ("notice_period_weeks", "about 2 weeks", "2"),
    ("notice_period_weeks", "zero", "0"),
    ("notice_period_weeks", "none", "0"),
    ("notice_period_weeks", "twelve", "12"),
    ("notice_period_weeks", "two and a half weeks", "2.5"),
    ("years_experience", "seven years", "7"),
    ("years_experience", "ninety-nine", "99"),
    ("years_experience", "ninety nine", "99"),
    ("years_experience", "twenty", "20"),
    ("years_experience", "a hundred", "100"),
    ("years_experience", "4.5", "4.5"),
    ("years_experience", "4.50 years", "4.5"),
    ("years_experience", "1 year", "1"),
    ("years_experience", "1,000", "1000"),
    ("years_experience", "5 and a half", "5.5"),
    ("team_size_managed", "12 people", "12"),
    # date
    ("start_date", "2027-03-03", "2027-03-03"),
    ("start_date", "March 3rd 2027", "2027-03-03"),
    ("start_date", "March 3rd, 2027", "2027-03-03"),
    ("start_date", "march 3 2027", "2027-03-03"),
    ("start_date", "3 March 2027", "2027-03-03"),
    ("start_date", "the 3rd of March 2027", "2027-03-03"),
    ("start_date", "Mar 3, 2027", "2027-03-03"),
    ("start_date", "Sept 1st", "2026-09-01"),
    ("start_date", "August 1", "2026-08-01"),
    ("start_date", "July 8", "2026-07-08"),  # today
    ("start_date", "July 1", "2027-07-01"),  # already past this year: next year
    ("start_date", "next Monday", "2026-07-13"),
    ("start_date", "Monday", "2026-07-13"),
    ("start_date", "next Wednesday", "2026-07-15"),  # today is Wednesday: the next one
    ("start_date", "Friday", "2026-07-10"),
    ("start_date", "in two weeks", "2026-07-22"),
    ("start_date", "in 2 weeks", "2026-07-22"),
    ("start_date", "two weeks from now", "2026-07-22"),
    ("start_date", "in a week", "2026-07-15"),
    ("start_date", "in 10 days", "2026-07-18"),
    ("start_date", "in a month", "2026-08-08"),
    ("start_date", "in three months", "2026-10-08"),
    ("start_date", "in a fortnight", "2026-07-22"),
    ("start_date", "next week", "2026-07-13"),
    ("start_date", "next month", "2026-08-01"),
    ("start_date", "ASAP", "2026-07-08"),
    ("start_date", "a.s.a.p.", "2026-07-08"),
    ("start_date", "immediately", "2026-07-08"),
    ("start_date", "right away", "2026-07-08"),
    ("start_date", "today", "2026-07-08"),
    ("start_date", "tomorrow", "2026-07-09"),
    ("start_date", "from March 3rd 2027", "2027-03-03"),
    # yes/no
    ("willing_to_relocate", "yes", "yes"),
    ("willing_to_relocate", "Yes!", "yes"),
    ("willing_to_relocate", "yeah", "yes"),
    ("willing_to_relocate", "yep", "yes"),
    ("willing_to_relocate", "sure", "yes"),
    ("willing_to_relocate", "of course", "yes"),
    ("willing_to_relocate", "absolutely", "yes"),
    ("willing_to_relocate", "yes I would", "yes"),
    ("willing_to_relocate", "I would, yes", "yes"),
    ("willing_to_relocate", "no", "no"),
    ("willing_to_relocate", "No.", "no"),
    ("willing_to_relocate", "nope", "no"),
    ("willing_to_relocate", "nah", "no"),
    ("willing_to_relocate", "not really", "no"),
    ("willing_to_relocate", "absolutely not", "no"),
    ("willing_to_relocate", "I don't think so", "no"),
    ("willing_to_relocate", "I wouldn’t", "no"),
    ("willing_to_relocate", "no, never", "no"),
    # choice
    ("remote_preference", "remote", "remote"),
    ("remote_preference", "Remote", "remote"),
    ("remote_preference", "HYBRID", "hybrid"),
    ("remote_preference", "onsite", "onsite"),
    ("remote_preference", "on-site", "onsite"),
    ("remote_preference", "on site please", "onsite"),
    ("remote_preference", "in the office", "onsite"),
    ("remote_preference", "I'd prefer hybrid", "hybrid"),
    ("remote_preference", "fully remote", "remote"),
    ("work_authorization", "citizen", "citizen"),
    ("work_authorization", "I'm a US citizen", "citizen"),
    ("work_authorization", "permanent resident", "permanent_resident"),
    ("work_authorization", "Permanent_Resident", "permanent_resident"),
    ("work_authorization", "resident", "permanent_resident"),
    ("work_authorization", "I have a green card", "permanent_resident"),
    ("work_authorization", "visa required", "visa_required"),
    ("work_authorization", "I'd need sponsorship", "visa_required"),
    ("work_authorization", "I need a visa", "visa_required"),
    ("work_authorization", "I'd need a work visa", "visa_required"),
    ("work_authorization", "I have a work visa", "visa_holder"),
    ("work_authorization", "visa holder", "visa_holder"),
    ("work_authorization", "holder", "visa_holder"),
    # text
    ("current_title", "  Senior   Account Executive ", "Senior Account Executive"),
    ("notice_period", "one month", "one month"),
]


@pytest.mark.parametrize(("name", "raw", "expected"), ACCEPTED)
def test_normalize_accepts(name: str, raw: str, expected: str) -> None:
    assert norm(name, raw) == expected


def test_default_currency_can_be_changed() -> None:
    assert norm("expected_salary", "120k", default_currency="gbp") == "120000 GBP"
    assert norm("expected_salary", "$120k", default_currency="GBP") == "120000 USD"


def test_relative_dates_follow_today() -> None:
    spec = spec_for("start_date")
    assert normalize(spec, "in a month", today=date(2026, 1, 31)) == "2026-02-28"
    assert normalize(spec, "in a month", today=date(2026, 12, 15)) == "2027-01-15"
    assert normalize(spec, "next month", today=date(2026, 12, 15)) == "2027-01-01"
    assert normalize(spec, "Monday", today=date(2026, 7, 12)) == "2026-07-13"  # Sunday -> tomorrow
    assert normalize(spec, "Feb 29", today=date(2027, 7, 1)) == "2028-02-29"
    assert normalize(spec, "Feb 29", today=date(2028, 2, 29)) == "2028-02-29"
    with pytest.raises(FieldValueError):
        normalize(spec, "Feb 30", today=date(2027, 7, 1))


# --- normalize: rejected forms and their spoken messages ---------------------------------------------

REJECTED = [
    ("quota_attainment", "", "percentage"),
    ("quota_attainment", "   ", "percentage"),
    ("quota_attainment", "lots", "percentage"),
    ("quota_attainment", "-5%", "percentage"),
    ("quota_attainment", "percent", "percentage"),
    ("quota_attainment", "twenty thirty percent", "percentage"),
    ("expected_salary", "one twenty k", "amount"),
    ("expected_salary", "a lot", "amount"),
    ("expected_salary", "120k-130k", "one amount"),
    ("expected_salary", "120k to 130k", "one amount"),
    ("expected_salary", "between 120 and 130k", "one amount"),
    ("expected_salary", "120k or 130k", "one amount"),
    ("expected_salary", "$0", "amount"),
    ("expected_salary", "$50 an hour", "yearly"),
    ("expected_salary", "10k per month", "yearly"),
    ("expected_salary", "$120k euros", "amount"),  # two currencies
    ("expected_salary", "120 XYZ", "amount"),
    ("expected_salary", "compound", "amount"),
    ("notice_period_weeks", "a couple", "number of weeks, like 4"),
    ("notice_period_weeks", "two months", "number of weeks, like 4"),
    ("notice_period_weeks", "4 days", "number of weeks, like 4"),
    ("notice_period_weeks", "weeks", "number of weeks, like 4"),
    ("notice_period_weeks", "-2", "number of weeks, like 4"),
    ("notice_period_weeks", "minus two", "number of weeks, like 4"),
    ("notice_period_weeks", "twenty twenty", "number of weeks, like 4"),
    ("notice_period_weeks", "one two", "number of weeks, like 4"),
    ("notice_period_weeks", "two thousand and", "number of weeks, like 4"),
    ("notice_period_weeks", "and", "number of weeks, like 4"),
    ("notice_period_weeks", "thousand", "number of weeks, like 4"),
    ("notice_period_weeks", "4..5", "number of weeks, like 4"),
    ("notice_period_weeks", "1,00", "number of weeks, like 4"),
    ("years_experience", "many", "number of years"),
    ("start_date", "soon", "date"),
    ("start_date", "03/04/2027", "date"),
    ("start_date", "March 2027", "date"),
    ("start_date", "February 30 2027", "date"),
    ("start_date", "2027-02-30", "date"),
    ("start_date", "in a couple of weeks", "date"),
    ("start_date", "in 1.5 weeks", "date"),
    ("start_date", "March 3 4", "date"),
    ("start_date", "Funday", "date"),
    ("willing_to_relocate", "maybe", "yes or a no"),
    ("willing_to_relocate", "not sure", "yes or a no"),
    ("willing_to_relocate", "I don't know", "yes or a no"),
    ("willing_to_relocate", "it depends", "yes or a no"),
    ("willing_to_relocate", "yeah no", "yes or a no"),
    ("willing_to_relocate", "purple", "yes or a no"),
    ("remote_preference", "anything", "remote, hybrid, or onsite"),
    ("remote_preference", "remote or hybrid", "remote, hybrid, or onsite"),
    ("work_authorization", "visa", "citizen, permanent resident, visa holder, or visa required"),
    ("current_title", "x" * 501, "few words"),
    ("current_title", " \n\t ", "current job title"),
]


@pytest.mark.parametrize(("name", "raw", "in_message"), REJECTED)
def test_normalize_rejects_with_a_speakable_message(name: str, raw: str, in_message: str) -> None:
    with pytest.raises(FieldValueError) as info:
        norm(name, raw)
    assert in_message in info.value.message
    assert str(info.value) == info.value.message
    assert isinstance(info.value, ValueError)


def test_notice_period_message_is_the_documented_one() -> None:
    with pytest.raises(FieldValueError, match=r"^I need a number of weeks, like 4\.$"):
        norm("notice_period_weeks", "a few")


def test_choice_message_for_a_single_choice() -> None:
    spec = FieldSpec(name="f", label="f", type=FieldType.CHOICE, choices=("only_one",))
    assert normalize(spec, "only one", today=TODAY) == "only_one"
    with pytest.raises(FieldValueError, match="I need one of: only one."):
        normalize(spec, "other", today=TODAY)


def test_normalize_is_idempotent_on_canonical_output() -> None:
    for name, raw, expected in ACCEPTED:
        assert norm(name, expected) == expected, (name, raw)


# --- missing_fields ----------------------------------------------------------------------------------

MISSING_CASES: list[tuple[list[str], dict[str, object], list[str]]] = [
    ([], {}, []),
    (["a"], {}, ["a"]),
    (["a"], {"a": "x"}, []),
    (["a"], {"a": None}, ["a"]),
    (["a"], {"a": ""}, ["a"]),
    (["a"], {"a": "  \n\t"}, ["a"]),
    (["a"], {"a": []}, ["a"]),
    (["a"], {"a": {}}, ["a"]),
    (["a"], {"a": ()}, ["a"]),
    (["a"], {"a": set()}, ["a"]),
    (["a"], {"a": 0}, []),  # zero is a value
    (["a"], {"a": False}, []),  # so is "no"
    (["a"], {"a": 0.0}, []),
    (["a"], {"a": ["x"]}, []),
    (["a"], {"a": {"k": None}}, []),
    (["c", "a", "b"], {}, ["c", "a", "b"]),  # order of required
    (["b", "a", "b", "a"], {}, ["b", "a"]),  # no duplicates
    (["a", "b", "c"], {"b": "x", "d": None}, ["a", "c"]),
    (["a", "b"], {"a": "x", "b": "y", "z": None}, []),
]


@pytest.mark.parametrize(("required", "fields", "expected"), MISSING_CASES)
def test_missing_fields(required: list[str], fields: dict[str, object], expected: list[str]) -> None:
    assert missing_fields(required, fields) == expected
    assert missing_fields(tuple(required), fields) == expected


def test_unknown_or_declined_answers_stay_missing() -> None:
    """The status is kept apart by the dialer; without a value the field is still missing."""
    fields: dict[str, object] = {"start_date": None, "expected_salary": "", "quota_attainment": "112%"}
    assert AnswerStatus("unknown") is AnswerStatus.UNKNOWN and AnswerStatus("declined") is AnswerStatus.DECLINED
    assert missing_fields(["start_date", "expected_salary", "quota_attainment"], fields) == [
        "start_date",
        "expected_salary",
    ]
