"""The deterministic policy model: asks each field with its question, reads answers back in the dialer's spoken
forms, saves only on the callee's yes, and picks the right tool for each ending."""

from __future__ import annotations

from datetime import date

import pytest

from agent.policy_model import GapFillingPolicy, Reply, ToolCall, callback_time
from agent.schemas import CallContext, CallerInfo, CallField, CandidateRef

TODAY = date(2026, 12, 2)  # a Wednesday
QUOTA = CallField(name="quota_attainment", label="quota attainment", type="percentage",
                  question="What was your quota attainment last year, as a percentage?")
START = CallField(name="start_date", label="start date", type="date", question="When could you start a new role?")
SALARY = CallField(name="expected_salary", label="expected salary", type="money")


def _policy(*fields: CallField, currency: str | None = "USD") -> GapFillingPolicy:
    context = CallContext(
        call_id="call_1", candidate=CandidateRef(id="cand_1", name="Ada Lovelace"), fields=list(fields),
        caller=CallerInfo(company="Acme Corp", role="Account Executive", recruiter_name="Jordan Lee",
                          callback_number="+14155550123"),
        currency=currency,
    )
    return GapFillingPolicy(context, today=lambda: TODAY)


def _identified(*fields: CallField) -> GapFillingPolicy:
    policy = _policy(*fields)
    assert policy.on_callee("Yes, this is Ada, speaking.") == Reply(tool=ToolCall("confirm_identity"))
    intro = policy.on_tool_result("confirm_identity", {}, "Confirmed.", is_error=False)
    assert "Account Executive" in intro.text and "Is now a good time?" in intro.text
    return policy


def test_a_field_is_asked_read_back_in_words_and_saved_on_yes() -> None:
    policy = _identified(QUOTA)
    assert policy.on_callee("Sure, go ahead").text == QUOTA.question
    checked = policy.on_callee("It was a hundred and twelve percent")
    assert checked.tool == ToolCall("record_field", {"name": "quota_attainment", "value": "a hundred and twelve percent",
                                                     "confirmed": False})
    read_back = policy.on_tool_result("record_field", dict(checked.tool.args), "Read this back", is_error=False)
    assert read_back.text == "Quota attainment: a hundred and twelve percent. Is that right?"
    saved = policy.on_callee("Yes, that's right.")
    assert saved.tool == ToolCall("record_field", {"name": "quota_attainment", "value": "112%", "confirmed": True})
    done = policy.on_tool_result("record_field", dict(saved.tool.args), "Saved", is_error=False)
    assert done.tool is not None and done.tool.name == "end_call" and "Goodbye" in done.text


def test_a_date_is_read_back_as_a_spoken_date() -> None:
    policy = _identified(START)
    policy.on_callee("Sure")
    checked = policy.on_callee("I could start in two weeks")
    assert checked.tool is not None and checked.tool.args["value"] == "in two weeks"
    line = policy.on_tool_result("record_field", dict(checked.tool.args), "", is_error=False).text
    assert line == "Start date: December sixteenth. Is that right?"
    saved = policy.on_callee("Correct")
    assert saved.tool is not None and saved.tool.args == {"name": "start_date", "value": "2026-12-16", "confirmed": True}


def test_a_no_to_the_read_back_is_never_saved_and_a_correction_is_read_back_again() -> None:
    policy = _identified(QUOTA)
    policy.on_callee("Sure")
    checked = policy.on_callee("a hundred and twelve percent")
    assert checked.tool is not None
    policy.on_tool_result("record_field", dict(checked.tool.args), "", is_error=False)
    corrected = policy.on_callee("No, sorry, a hundred and twenty-one percent")
    assert corrected.tool == ToolCall("record_field", {"name": "quota_attainment",
                                                       "value": "a hundred and twenty-one percent", "confirmed": False})
    policy.on_tool_result("record_field", dict(corrected.tool.args), "", is_error=False)
    assert policy.on_callee("No, that's wrong").text == f"Sorry about that. {QUOTA.question}"


def test_an_answer_the_parser_cannot_read_gets_its_hint_and_the_question_again() -> None:
    policy = _identified(QUOTA)
    policy.on_callee("Sure")
    reply = policy.on_callee("It depends on the quarter")
    assert reply.tool is None and reply.text == f"I need a percentage, like 112 percent. {QUOTA.question}"


def test_an_amount_without_a_known_currency_is_asked_about() -> None:
    policy = _policy(SALARY, currency=None)
    policy.on_callee("Yes")
    policy.on_tool_result("confirm_identity", {}, "", is_error=False)
    policy.on_callee("Sure")
    assert policy.on_callee("a hundred and twenty thousand").text.startswith("Which currency")


@pytest.mark.parametrize(("said", "status"), [("I don't know", "unknown"), ("I'd rather not say", "declined")])
def test_unknown_and_declined_answers_are_recorded_as_such(said: str, status: str) -> None:
    policy = _identified(QUOTA)
    policy.on_callee("Sure")
    assert policy.on_callee(said).tool == ToolCall("record_unknown", {"name": "quota_attainment", "status": status})


def test_endings_pick_their_tools() -> None:
    assert _policy(QUOTA).on_callee("No, you have the wrong number").tool == ToolCall(
        "wrong_person", {"reason": "someone else answered"})
    assert _policy(QUOTA).on_callee("Take me off your list").tool == ToolCall(
        "do_not_call", {"reason": "asked not to be called again"})
    assert _identified(QUOTA).on_callee("I took another job last week").tool == ToolCall(
        "not_looking", {"reason": "accepted_other_job"})
    assert _identified(QUOTA).on_callee("Can you call me back tomorrow at 3pm?").tool == ToolCall(
        "schedule_callback", {"local_time": "2026-12-03T15:00"})


def test_nothing_is_asked_before_the_callee_says_who_they_are() -> None:
    policy = _policy(QUOTA)
    screening = policy.on_callee("Please state your name and the reason for your call.")
    assert screening.tool is None
    assert "automated assistant" in screening.text and "Jordan Lee at Acme Corp" in screening.text
    assert "four one five, five five five, zero one two three" in screening.text
    assert screening.text.endswith("Am I speaking with Ada Lovelace?")


def test_a_booked_callback_is_said_back_and_the_call_ends() -> None:
    policy = _identified(QUOTA)
    booked = policy.on_tool_result(
        "schedule_callback", {"local_time": "2026-12-03T15:00"},
        "Callback booked for tomorrow, Thursday December third, at 3 p.m. your time. Tell them exactly that, "
        "say goodbye, then call end_call.", is_error=False)
    assert booked.text == "Sure, I'll call you tomorrow, Thursday December third, at 3 p.m. your time. Goodbye!"
    assert booked.tool is not None and booked.tool.name == "end_call"


@pytest.mark.parametrize(("said", "expected"), [
    ("tomorrow at 3pm", "2026-12-03T15:00"),
    ("Call me Friday at 10:30 a.m.", "2026-12-04T10:30"),
    ("next Monday at 4", "2026-12-07T16:00"),
    ("later please", None),
    ("tomorrow", None),
])
def test_callback_times(said: str, expected: str | None) -> None:
    assert callback_time(said, today=TODAY) == expected
