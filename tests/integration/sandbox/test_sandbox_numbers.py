"""The reserved-number table is a pure function; check every row and the edges around it."""

from __future__ import annotations

import phonenumbers
import pytest

from sandbox import outcome_for


@pytest.mark.parametrize("last_digit", range(10))
def test_0100_to_0109_answer_and_hang_up_after_ten_times_digit_plus_one(last_digit: int) -> None:
    outcome = outcome_for(f"+1212555010{last_digit}")
    assert outcome.answered and outcome.rings
    assert outcome.talk_time_s == 10.0 * (last_digit + 1)
    assert outcome.answered_by == "human"
    assert outcome.sip_status_code is None


@pytest.mark.parametrize(
    ("suffix", "label", "code", "status", "rings"),
    [
        ("0110", "busy", 486, "Busy Here", False),
        ("0111", "no_answer", 480, "Temporarily Unavailable", True),
        ("0112", "declined", 603, "Decline", True),
        ("0113", "invalid_number", 404, "Not Found", False),
        ("0114", "carrier_failure", 503, "Service Unavailable", False),
    ],
)
def test_failure_numbers(suffix: str, label: str, code: int, status: str, rings: bool) -> None:
    outcome = outcome_for(f"+1415555{suffix}")
    assert (outcome.label, outcome.answered, outcome.sip_status_code, outcome.sip_status, outcome.rings) == (
        label, False, code, status, rings,
    )


def test_voicemail_is_answered_by_a_machine() -> None:
    outcome = outcome_for("+13125550115")
    assert outcome.answered and outcome.answered_by == "machine" and outcome.label == "voicemail"


def test_0116_never_hangs_up() -> None:
    outcome = outcome_for("+13125550116")
    assert outcome.answered and outcome.talk_time_s is None and not outcome.rings


def test_0117_rings_until_cancelled_and_0118_never_responds() -> None:
    rings, silent = outcome_for("+13125550117"), outcome_for("+13125550118")
    assert (rings.answered, rings.rings, rings.settles) == (False, True, False)
    assert (silent.answered, silent.rings, silent.settles) == (False, False, False)


@pytest.mark.parametrize("number", ["+12125550119", "+12125550199", "+12125550200", "+442071838750", "+12125550099"])
def test_other_numbers_answer_and_hang_up_after_30_s(number: str) -> None:
    outcome = outcome_for(number)
    assert outcome.answered and outcome.talk_time_s == 30.0 and outcome.label == "answered"


def test_any_area_code_and_loose_formatting_match() -> None:
    assert outcome_for("+1 (907) 555-0110").label == "busy"
    assert outcome_for("19075550110").label == "busy"
    assert outcome_for("+4419075550110").label == "answered"  # not a +1 number


@pytest.mark.parametrize("suffix", ["0100", "0109", "0110", "0116"])
def test_reserved_numbers_are_valid_for_phonenumbers(suffix: str) -> None:
    for area in ("212", "415", "907"):
        assert phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}555{suffix}"))


def test_londons_drama_range_has_the_same_outcomes() -> None:
    """+44 20 7946 01XX: a reserved range in a zone far from the Americas', for runs at any hour."""
    assert outcome_for("+44 20 7946 0110").label == "busy"
    assert outcome_for("+442079460115").label == "voicemail"
    assert outcome_for("+442079460200").label == "answered"  # outside 01XX
    assert outcome_for("+442079460100").talk_time_s == 10.0
