"""Issue 12, items 1, 2, 4 and 10: one greeting, confirmation by the callee's own later turn, writes that an
interruption cannot cut, and endings that always reach a goodbye and a hang-up. Text mode, scripted model."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from agent import prompts
from agent.call_control import LocalCallControl
from agent.gap_filling import GapFillingAgent
from agent.schemas import CallField
from agent.validation import AnswerInvalid, normalize_answer
from agent.settings import AgentSettings
from dialer_testing.fake_dialer import FakeDialer
from dialer_testing.scripted_llm import Call, Turn, call, say
from tests.unit.agent.test_agent_gap_filling import gap_call, said, tool_output

GREETING = ("Hello, this is an automated assistant calling on behalf of Jordan Lee at Acme Corp. "
            "This call is transcribed. Am I speaking with Ada Lovelace?")


async def test_a_hello_before_the_greeting_gets_no_reply_of_its_own(dialer: FakeDialer, settings: AgentSettings) -> None:
    """Item 1: the detector holds speech while it decides; a reply made to "Hello?" meanwhile was released on top of
    the greeting. No reply is made before the greeting, so the callee hears one."""
    async with gap_call(dialer, settings, [say("Hi! Who am I speaking with?")], greet=False) as (run, _, model):
        await run.user_says("Hello?")
        await run.answer()
        assert said(run) == [GREETING]
        assert model.remaining == 1  # the model was never asked to answer the "Hello?"


async def test_confirming_in_the_same_reply_as_the_read_back_saves_nothing(
    dialer: FakeDialer, settings: AgentSettings
) -> None:
    """Item 2: two tool steps of one reply, with no callee turn between them."""
    turns = [
        call("record_field", name="quota_attainment", value="112 percent", confirmed=False),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Just to confirm, 112 percent?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        await run.user_says("112 percent")
        assert "has not answered the read-back" in tool_output(model)
    assert fake_call.saved == {}


async def test_read_back_and_confirmation_in_parallel_save_nothing(dialer: FakeDialer, settings: AgentSettings) -> None:
    """Item 2: both calls in one message, run in parallel."""
    turns = [
        Turn(calls=(Call("record_field", {"name": "quota_attainment", "value": "112%", "confirmed": False}),
                    Call("record_field", {"name": "quota_attainment", "value": "112%", "confirmed": True}))),
        say("Just to confirm, 112 percent?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, _):
        result = await run.user_says("112 percent")
        outputs = [e.item for e in result.events if e.type == "function_call_output"]
        assert sorted(o.is_error for o in outputs) == [False, True]
    assert fake_call.saved == {}


async def test_a_no_after_the_read_back_is_never_a_confirmation(dialer: FakeDialer, settings: AgentSettings) -> None:
    """Item 2: the model confirms after the callee said "No, that's wrong"."""
    turns = [
        call("record_field", name="quota_attainment", value="112 percent", confirmed=False),
        say("That's 112 percent, right?"),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Sorry, what was it?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        await run.user_says("112 percent")
        await run.user_says("No, that's wrong")
        assert "did not clearly confirm" in tool_output(model)
    assert fake_call.saved == {}


async def test_a_yes_after_the_read_back_saves(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("record_field", name="quota_attainment", value="112 percent", confirmed=False),
        say("That's 112 percent, right?"),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Thanks."),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, _):
        await run.user_says("112 percent")
        await run.user_says("Yep, that's right")
    assert fake_call.saved["quota_attainment"]["value"] == "112%"


async def test_an_interruption_during_do_not_call_still_ends_with_a_goodbye(
    dialer: FakeDialer, settings: AgentSettings
) -> None:
    """Item 4: interrupted while the opt-out was being written, the call used to stay open in silence."""
    control = LocalCallControl()
    entered, release = dialer.hold("/do-not-call")
    async with gap_call(dialer, settings, [call("do_not_call", reason="asked"), say("Sorry, goodbye.")],
                        control=control) as (run, fake_call, _):
        turn = asyncio.create_task(run.user_says("Never call me again"))
        await asyncio.wait_for(entered.wait(), 5)
        run.session.interrupt()  # the callee talks over the agent while the write is in flight
        release.set()
        await asyncio.wait_for(turn, 10)
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert said(run).count(prompts.opt_out_goodbye()) == 1
    assert fake_call.dnc == ["asked"]
    assert fake_call.ends == [{"outcome": "answered", "reason": "asked not to be called again"}]


async def test_an_interruption_during_a_save_does_not_lose_it(dialer: FakeDialer, settings: AgentSettings) -> None:
    """Item 4: the write completes even when the callee interrupts while it is in flight."""
    turns = [
        call("record_field", name="quota_attainment", value="112 percent", confirmed=False),
        say("That's 112 percent, right?"),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Thanks."),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, _):
        await run.user_says("112 percent")
        entered, release = dialer.hold("/fields")
        turn = asyncio.create_task(run.user_says("Yes"))
        await asyncio.wait_for(entered.wait(), 5)
        run.session.interrupt()
        release.set()
        await asyncio.wait_for(turn, 10)
    assert fake_call.saved["quota_attainment"]["value"] == "112%"


async def test_voicemail_detected_twice_leaves_one_message(dialer: FakeDialer, settings: AgentSettings) -> None:
    """Item 10: the detector and the model's voicemail_detected tool may both fire."""
    control = LocalCallControl()
    async with gap_call(dialer, settings, [call("voicemail_detected")], control=control, greet=False) as (
        run, fake_call, _,
    ):
        assert isinstance(run.agent, GapFillingAgent)
        first = run.agent.start_voicemail()
        await run.user_says("Please leave a message after the tone")
        assert run.agent.start_voicemail() is first
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert said(run) == ["Hi, it's the recruiting team. We'll call again soon."]
    assert fake_call.ends == [{"outcome": "voicemail", "reason": "answering machine"}]


async def test_an_amount_without_a_currency_is_never_silently_dollars(dialer: FakeDialer, settings: AgentSettings) -> None:
    """With no local currency known, "sixty thousand" is not read back as US dollars: the callee is asked."""
    turns = [call("record_field", name="expected_salary", value="sixty thousand", confirmed=False),
             say("Which currency is that in?"),
             call("record_field", name="expected_salary", value="sixty thousand pounds", confirmed=False),
             say("Sixty thousand pounds, right?")]
    async with gap_call(dialer, settings, turns, fields=["expected_salary"], currency=None) as (run, _, model):
        await run.user_says("About sixty thousand")
        assert "Which currency" in tool_output(model)
        await run.user_says("Pounds")
        assert 'expected salary, "sixty thousand pounds"' in tool_output(model)


def test_the_candidates_local_currency_fills_in_an_amount_said_without_one() -> None:
    field = CallField(name="expected_salary", label="expected salary", type="money")
    assert normalize_answer(field, "sixty thousand", today=date(2026, 11, 25), currency="GBP") == "60000 GBP"
    assert normalize_answer(field, "sixty thousand euros", today=date(2026, 11, 25), currency=None) == "60000 EUR"
    with pytest.raises(AnswerInvalid, match="Which currency"):
        normalize_answer(field, "sixty thousand", today=date(2026, 11, 25), currency=None)
