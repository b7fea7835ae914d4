"""The deterministic briefing policy: opens with the record, answers through the agent's read-only tools, and says
plainly when the record does not say."""

from __future__ import annotations

from agent.policy_briefing import BriefingPolicy
from agent.policy_model import ToolCall
from agent.schemas import Briefing, BriefingCandidate, InterviewInfo

BRIEFING = Briefing(
    interview=InterviewInfo(id="int_1", role="Account Executive", resume_summary="Eight years of SaaS sales.",
                            notes="Asked about remote work."),
    candidate=BriefingCandidate(id="cand_1", name="Ada Lovelace",
                                fields={"quota_attainment": "112%", "notice_period_weeks": 4, "location": None}),
)


def test_the_opening_is_the_record() -> None:
    opening = BriefingPolicy(BRIEFING).on_start().text
    assert opening.startswith("Here is your briefing on Ada Lovelace, for the Account Executive interview.")
    assert "Summary: Eight years of SaaS sales." in opening and "Recruiter notes: Asked about remote work." in opening
    assert "quota attainment: 112%; notice period weeks: 4." in opening and "location" not in opening


def test_questions_go_through_the_read_only_tools_and_their_answers_are_said() -> None:
    policy = BriefingPolicy(BRIEFING)
    assert policy.on_callee("What was her quota attainment?").tool == ToolCall("lookup_field", {"name": "quota_attainment"})
    assert policy.on_callee("How long is her notice period?").tool == ToolCall(
        "lookup_field", {"name": "notice_period_weeks"})
    assert policy.on_callee("Any concerns in the notes?").tool == ToolCall("notes")
    assert policy.on_callee("Tell me about her background").tool == ToolCall("resume_summary")
    said = policy.on_tool_result("lookup_field", {"name": "quota_attainment"}, "quota_attainment: 112%", is_error=False)
    assert said.text == "Quota attainment: 112%."
    empty = policy.on_tool_result("lookup_field", {"name": "location"},
                                  "location is empty on record. The record does not say. Tell the interviewer plainly "
                                  "that you don't know; do not guess.", is_error=False)
    assert empty.text == "I don't know that: the record does not say."


def test_what_the_record_does_not_hold_is_not_guessed() -> None:
    assert BriefingPolicy(BRIEFING).on_callee("Does she speak French?").text == (
        "I don't know that: the record does not say.")
