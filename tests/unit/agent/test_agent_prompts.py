"""Prompt contents: the gap-filling prompt names only this call's fields; briefing says 'I don't know'."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from agent import prompts
from agent.schemas import Briefing, CallContext, InterviewChoice
from dialer.fields import CATALOG, spec_for

NOW_NY = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("America/New_York"))


CALLER = {"company": "Acme Corp", "role": "Account Executive", "recruiter_name": "Jordan Lee",
          "callback_number": "+14155550123"}


def context(*names: str, transfer_to: str | None = "tel:+15550100", caller: dict[str, str] | None = CALLER,
            transcribed: bool = True) -> CallContext:
    fields = [
        {"name": s.name, "label": s.label, "type": str(s.type), "choices": list(s.choices), "question": s.question}
        for s in map(spec_for, names)
    ]
    return CallContext.model_validate({
        "call_id": "c1", "candidate": {"id": "k1", "name": "Ada Lovelace", "timezone": "America/New_York"},
        "fields": fields, "voicemail_message": "bye", "transfer_to": transfer_to, "caller": caller,
        "consent": {"source": "the careers site", "channel": "web_form", "at": "2026-11-20T14:03:00Z"},
        "transcribed": transcribed,
    })


def test_gap_filling_lists_only_this_calls_fields() -> None:
    text = prompts.gap_filling_instructions(context("quota_attainment", "work_authorization"), now_local=NOW_NY)
    assert "- quota_attainment: quota attainment (a percentage, e.g. 110 percent)" in text
    assert "- work_authorization: work authorization (one of the listed options; options: citizen, " \
           "permanent resident, visa holder, visa required)" in text
    assert 'Suggested question: "What was your quota attainment last year, as a percentage?"' in text
    others = set(CATALOG) - {"quota_attainment", "work_authorization"}
    assert not [name for name in others if name in text]
    assert not [CATALOG[name].label for name in others if f" {CATALOG[name].label} (" in text]


def test_gap_filling_demands_read_back_and_accepts_unknown_and_declined() -> None:
    text = prompts.gap_filling_instructions(context("start_date"), now_local=NOW_NY)
    assert "confirmed=false" in text and "confirmed=true" in text and "Read the value back exactly as returned" in text
    assert 'status "unknown"' in text and 'status "declined"' in text
    assert "Wednesday 2026-11-25 10:00 (America/New_York)" in text  # to resolve "tomorrow at 3"


def test_gap_filling_mentions_transfer_only_when_possible() -> None:
    assert "call transfer_to_human" in prompts.gap_filling_instructions(context("location"), now_local=NOW_NY)
    without = prompts.gap_filling_instructions(context("location", transfer_to=None), now_local=NOW_NY)
    assert "call transfer_to_human" not in without and "offer a callback" in without


def test_greeting_says_who_calls_that_it_is_automated_and_transcribed_and_asks_for_the_candidate() -> None:
    greeting = prompts.gap_filling_greeting(context("location", "start_date"))
    assert greeting == ("Hello, this is an automated assistant calling on behalf of Jordan Lee at Acme Corp. "
                        "This call is transcribed. Am I speaking with Ada Lovelace?")
    assert "Account Executive" not in greeting and "application" not in greeting  # nothing before identity
    untranscribed = prompts.gap_filling_greeting(context("location", transcribed=False))
    assert "transcribed" not in untranscribed
    no_recruiter = prompts.gap_filling_greeting(context("location", caller={"company": "Acme Corp"}))
    assert "on behalf of Acme Corp." in no_recruiter


def test_after_identity_the_role_and_the_number_of_questions() -> None:
    said = prompts.identity_confirmed(context("location", "start_date"))
    assert "Account Executive" in said and "2 quick questions" in said and "Acme Corp" in said
    assert "one quick question" in prompts.identity_confirmed(context("location"))


def test_the_prompt_answers_who_why_and_how_from_the_context() -> None:
    text = prompts.gap_filling_instructions(context("location"), now_local=NOW_NY)
    assert "automated assistant calling on behalf of Jordan Lee at Acme Corp" in text
    assert "four one five, five five five, zero one two three" in text  # the callback number, spoken
    assert "the careers site (web_form)" in text  # how we got the number, only once identity is confirmed
    assert "call confirm_identity" in text and "call wrong_person" in text
    assert "never claim to be a person" in text


def test_voicemail_names_the_company_and_the_callback_number_not_the_job() -> None:
    message = prompts.voicemail_message(context("location"))
    assert "Acme Corp" in message and "four one five, five five five, zero one two three" in message
    assert "Account Executive" not in message and "application" not in message


def test_briefing_prompt_holds_the_record_and_forbids_guessing() -> None:
    briefing = Briefing.model_validate({
        "interview": {"id": "i1", "role": "Account Executive", "scheduled_at": "2026-11-25T17:00:00Z",
                      "resume_summary": "Eight years of SaaS sales.", "notes": None},
        "candidate": {"id": "k1", "name": "Ada Lovelace", "fields": {"quota_attainment": "112%", "location": None}},
        "interviewer": {"id": "v1", "name": "Grace Hopper"},
    })
    text = prompts.briefing_instructions(briefing)
    assert "Grace Hopper" in text and "Ada Lovelace" in text and "Account Executive" in text
    assert "Eight years of SaaS sales." in text and "Recruiter notes: (none on file)" in text
    assert "- quota_attainment: 112%" in text and "- location: (unknown)" in text
    assert "strengths" in text and "concerns" in text and "two or three good opening questions" in text
    assert "say plainly that you do not know" in text and "never guess" in text


def test_interview_menu() -> None:
    menu = prompts.interview_menu([
        InterviewChoice(id="i1", candidate_name="Ada", role="AE", scheduled_at="2026-11-25T17:00:00Z"),
        InterviewChoice(id="i2", candidate_name="Alan"),
    ])
    assert menu == "Press 1 for Ada, AE, at 17:00. Press 2 for Alan."
