"""The real BriefingAgent (web briefing) and CallerIdentificationAgent (inbound phone) in text runs."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any

from agent.briefing import BriefingAgent
from agent.call_control import LocalCallControl
from agent.identify import WELCOME, CallerIdentificationAgent
from agent.runner import TextRun, open_text_session
from agent.settings import AgentSettings
from dialer_testing.fake_dialer import FakeDialer, FakeInterviewer, briefing_metadata
from dialer_testing.scripted_llm import ScriptedLLM, call, say

CALLER = "+15550199"
INBOUND = {"sip.callStatus": "active", "sip.phoneNumber": CALLER}


def briefing(interview_id: str, candidate: str, role: str, at: str) -> dict[str, Any]:
    return {
        "interview": {
            "id": interview_id, "role": role, "scheduled_at": at,
            "resume_summary": f"{candidate}: eight years in enterprise SaaS sales, President's Club twice.",
            "notes": "Strong closer; ask about the gap in 2023.",
        },
        "candidate": {
            "id": f"cand-{interview_id}", "name": candidate,
            "fields": {"quota_attainment": "112%", "notice_period_weeks": "4", "expected_salary": None},
        },
        "interviewer": {"id": "iv-1", "name": "Grace Hopper"},
    }


def seed(dialer: FakeDialer) -> None:
    dialer.add_briefing("int-1", token="tok-int-1",
                        briefing=briefing("int-1", "Ada Lovelace", "Account Executive", "2026-11-25T17:00:00Z"))
    dialer.add_briefing("int-2", token="tok-int-2",
                        briefing=briefing("int-2", "Alan Turing", "Sales Engineer", "2026-11-25T19:00:00Z"))


def system_prompt(model: ScriptedLLM) -> str:
    return model.contexts[0].messages()[0].text_content or ""


async def test_web_briefing_opens_with_the_summary(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    model = ScriptedLLM([say("Hi Grace. Ada Lovelace is a strong enterprise closer...")])
    async with open_text_session(briefing_metadata(dialer, "int-1"), {"dialer.mode": "briefing"},
                                 llm=model, settings=settings) as run:
        assert isinstance(run.agent, BriefingAgent)
        assert run.start_result is not None
        run.start_result.expect.next_event().is_agent_handoff(new_agent_type=BriefingAgent)
        run.start_result.expect.next_event().is_message(role="assistant")
        run.start_result.expect.no_more_events()
        instructions = system_prompt(model)
        assert "Ada Lovelace" in instructions and "Account Executive" in instructions
        assert "President's Club twice" in instructions and "ask about the gap in 2023" in instructions
        assert "quota_attainment: 112%" in instructions and "expected_salary: (unknown)" in instructions
        assert "strengths" in (model.contexts[0].messages()[-1].text_content or "")  # the opening instruction


async def test_lookup_summary_and_notes_quote_the_record(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    model = ScriptedLLM([
        say("Hello Grace..."),
        call("lookup_field", name="Quota Attainment"),
        say("She hit 112 percent of quota."),
        call("resume_summary"),
        say("Eight years in enterprise SaaS sales."),
        call("notes"),
        say("The recruiter suggests asking about 2023."),
    ])
    async with open_text_session(briefing_metadata(dialer, "int-1"), {}, llm=model, settings=settings) as run:
        lookup = await run.user_says("What was her quota attainment?")
        lookup.expect.next_event().is_function_call(name="lookup_field")
        assert lookup.expect.next_event().is_function_call_output(is_error=False).event().item.output == (
            "quota_attainment: 112%"
        )
        summary = await run.user_says("Remind me of her background")
        summary.expect.next_event().is_function_call(name="resume_summary")
        assert "President's Club twice" in summary.expect.next_event().is_function_call_output().event().item.output
        notes = await run.user_says("Any notes from the recruiter?")
        notes.expect.next_event().is_function_call(name="notes")
        assert notes.expect.next_event().is_function_call_output().event().item.output == (
            "Strong closer; ask about the gap in 2023."
        )


async def test_unknown_facts_make_the_agent_say_it_does_not_know(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    model = ScriptedLLM([
        say("Hello Grace..."),
        call("lookup_field", name="expected_salary"),
        say("I don't know; her expected salary isn't on record."),
        call("lookup_field", name="favourite_colour"),
        say("I don't know that either."),
    ])
    async with open_text_session(briefing_metadata(dialer, "int-1"), {}, llm=model, settings=settings) as run:
        empty = await run.user_says("What salary does she expect?")
        empty.expect.next_event().is_function_call(name="lookup_field")
        assert "don't know" in empty.expect.next_event().is_function_call_output().event().item.output
        empty.expect.next_event().is_message(role="assistant")
        missing = await run.user_says("What's her favourite colour?")
        missing.expect.next_event().is_function_call(name="lookup_field")
        output = missing.expect.next_event().is_function_call_output().event().item.output
        assert "no field called 'favourite_colour'" in output and "don't know" in output
        assert "say plainly that you do not know" in system_prompt(model)


async def test_briefing_agent_has_only_read_only_tools(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    async with open_text_session(briefing_metadata(dialer, "int-1"), {}, llm=ScriptedLLM([say("Hi")]),
                                 settings=settings) as run:
        assert sorted(t.id for t in run.agent.tools) == ["lookup_field", "notes", "resume_summary"]


# -- inbound phone callers -------------------------------------------------------------------


def start_inbound(
    dialer: FakeDialer, settings: AgentSettings, model: ScriptedLLM, control: LocalCallControl
) -> AbstractAsyncContextManager[TextRun]:
    return open_text_session(briefing_metadata(dialer), INBOUND, llm=model, settings=settings,
                             call_control=control)


async def test_known_number_with_one_interview_goes_straight_to_the_briefing(
    dialer: FakeDialer, settings: AgentSettings
) -> None:
    seed(dialer)
    dialer.add_interviewer(FakeInterviewer("iv-1", "Grace Hopper", CALLER, "4821", ["int-1"]))
    model = ScriptedLLM([say("Hi Grace, here's your briefing on Ada Lovelace...")])
    async with start_inbound(dialer, settings, model, LocalCallControl()) as run:
        assert isinstance(run.agent, CallerIdentificationAgent)
        assert await asyncio.wait_for(run.agent.identified, 5) == "int-1"
        await run.agent.wait_background()
        assert isinstance(run.session.current_agent, BriefingAgent)
        assert run.session.current_agent.briefing.candidate.name == "Ada Lovelace"
    assert ("POST", "/api/agent/briefing/identify") in dialer.requests


async def test_unknown_caller_types_a_pin_then_picks_an_interview(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    dialer.add_interviewer(FakeInterviewer("iv-1", "Grace Hopper", None, "4821", ["int-1", "int-2"]))
    model = ScriptedLLM([say("Hi Grace, here's your briefing on Alan Turing...")])
    async with start_inbound(dialer, settings, model, LocalCallControl()) as run:
        agent = run.agent
        assert isinstance(agent, CallerIdentificationAgent)
        await agent.wait_background()
        said = [m.text_content for m in run.session.history.messages() if m.role == "assistant"]
        assert said == [WELCOME]
        for key in "4821#":
            agent.on_dtmf(key)
        await agent.wait_background()
        said = [m.text_content for m in run.session.history.messages() if m.role == "assistant"]
        assert said[-1] == (
            "Hi Grace. You have 2 interviews coming up. Press 1 for Ada Lovelace, Account Executive, at 17:00. "
            "Press 2 for Alan Turing, Sales Engineer, at 19:00."
        )
        agent.on_dtmf("2")
        assert await asyncio.wait_for(agent.identified, 5) == "int-2"
        await agent.wait_background()
        assert isinstance(run.session.current_agent, BriefingAgent)
        assert run.session.current_agent.briefing.candidate.name == "Alan Turing"


async def test_pin_can_be_spoken(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    dialer.add_interviewer(FakeInterviewer("iv-1", "Grace Hopper", None, "4821", ["int-1"]))
    model = ScriptedLLM([call("verify_pin", pin="4 8 2 1"), say("Hi Grace, here's your briefing on Ada...")])
    async with start_inbound(dialer, settings, model, LocalCallControl()) as run:
        agent = run.agent
        assert isinstance(agent, CallerIdentificationAgent)
        await agent.wait_background()
        result = await run.user_says("It's four eight two one")
        result.expect.next_event().is_function_call(name="verify_pin")
        result.expect.next_event().is_function_call_output()
        result.expect.contains_agent_handoff(new_agent_type=BriefingAgent)
        assert await asyncio.wait_for(agent.identified, 5) == "int-1"


async def test_wrong_pins_end_politely_after_the_allowed_tries(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    dialer.add_interviewer(FakeInterviewer("iv-1", "Grace Hopper", None, "4821", ["int-1"]))
    control = LocalCallControl()
    async with start_inbound(dialer, settings, ScriptedLLM([]), control) as run:
        agent = run.agent
        assert isinstance(agent, CallerIdentificationAgent)
        await agent.wait_background()
        for _ in range(settings.identify_max_attempts):
            for key in "1111#":
                agent.on_dtmf(key)
            await agent.wait_background()
        assert await asyncio.wait_for(agent.identified, 5) is None
        await asyncio.wait_for(control.hung_up.wait(), 5)
        said = [m.text_content for m in run.session.history.messages() if m.role == "assistant"]
        assert said[1] == "That PIN was not recognised. Please enter or say your PIN again."
        assert (said[-1] or "").endswith("Please contact your recruiter. Goodbye.")
        assert len(said) == 1 + settings.identify_max_attempts
        assert isinstance(run.session.current_agent, CallerIdentificationAgent)  # nothing was briefed


async def test_known_caller_without_interviews_today_is_told_so(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)
    dialer.add_interviewer(FakeInterviewer("iv-1", "Grace Hopper", CALLER, "4821", []))
    control = LocalCallControl()
    async with start_inbound(dialer, settings, ScriptedLLM([]), control) as run:
        assert isinstance(run.agent, CallerIdentificationAgent)
        assert await asyncio.wait_for(run.agent.identified, 5) is None
        await asyncio.wait_for(control.hung_up.wait(), 5)
        said = [m.text_content for m in run.session.history.messages() if m.role == "assistant"]
        assert said == ["Hi Grace. I don't see an interview for you today, so there is nothing to brief. Goodbye."]


def assistant_lines(run: TextRun) -> list[str | None]:
    return [m.text_content for m in run.session.history.messages() if m.role == "assistant"]


async def test_an_inbound_caller_is_welcomed_only_once_the_call_is_answered(
    dialer: FakeDialer, settings: AgentSettings
) -> None:
    """livekit/sip rings until the agent's track is subscribed: a welcome spoken before `active` is lost."""
    seed(dialer)
    answered = asyncio.Event()
    waiting = asyncio.Event()

    async def until_answered() -> None:
        waiting.set()
        await answered.wait()

    async with open_text_session(briefing_metadata(dialer), INBOUND, llm=ScriptedLLM([]), settings=settings,
                                 call_control=LocalCallControl(), answered=until_answered) as run:
        await asyncio.wait_for(waiting.wait(), 5)
        assert assistant_lines(run) == []
        answered.set()
        assert isinstance(run.agent, CallerIdentificationAgent)
        await run.agent.wait_background()
        assert assistant_lines(run) == [WELCOME]


async def test_a_caller_who_hangs_up_while_ringing_hears_nothing(dialer: FakeDialer, settings: AgentSettings) -> None:
    seed(dialer)

    async def hung_up_first() -> None:
        raise RuntimeError("participant disconnected while waiting for sip.callStatus")

    async with open_text_session(briefing_metadata(dialer), INBOUND, llm=ScriptedLLM([]), settings=settings,
                                 call_control=LocalCallControl(), answered=hung_up_first) as run:
        assert isinstance(run.agent, CallerIdentificationAgent)
        assert await asyncio.wait_for(run.agent.identified, 5) is None
        await run.agent.wait_background()
        assert assistant_lines(run) == []
