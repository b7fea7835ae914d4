"""Prompt contents: the gap-filling prompt names only this call's fields; briefing says 'I don't know'."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from agent import prompts
from agent.schemas import Briefing, CallContext, InterviewChoice
from dialer.fields import CATALOG, spec_for

NOW_NY = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def context(*names: str, transfer_to: str | None = "tel:+15550100") -> CallContext:
    fields = [
        {"name": s.name, "label": s.label, "type": str(s.type), "choices": list(s.choices), "question": s.question}
        for s in map(spec_for, names)
    ]
    return CallContext.model_validate({
        "call_id": "c1", "candidate": {"id": "k1", "name": "Ada Lovelace", "timezone": "America/New_York"},
        "fields": fields, "voicemail_message": "bye", "transfer_to": transfer_to,
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
    assert "confirmed=false" in text and "confirmed=true" in text and "Read the returned value back" in text
    assert 'status "unknown"' in text and 'status "declined"' in text
    assert "Wednesday 2026-11-25 10:00 (America/New_York)" in text  # to resolve "tomorrow at 3"


def test_gap_filling_mentions_transfer_only_when_possible() -> None:
    assert "call transfer_to_human" in prompts.gap_filling_instructions(context("location"), now_local=NOW_NY)
    without = prompts.gap_filling_instructions(context("location", transfer_to=None), now_local=NOW_NY)
    assert "call transfer_to_human" not in without and "offer a callback" in without


def test_greeting_counts_the_questions() -> None:
    assert "2 quick questions" in prompts.gap_filling_greeting(context("location", "start_date"))
    assert "one quick question" in prompts.gap_filling_greeting(context("location"))
    assert prompts.gap_filling_greeting(context("location")).startswith("Hi Ada,")


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
