"""The real GapFillingAgent in an AgentSession text run, against the fake dialer API over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from agent import prompts
from agent.call_control import LocalCallControl
from agent.gap_filling import GapFillingAgent
from agent.runner import TextRun, open_text_session
from agent.settings import AgentSettings
from tests.unit.agent.conftest import fixed_clock
from dialer_testing.fake_dialer import FakeCall, FakeDialer, gap_filling_metadata
from dialer_testing.scripted_llm import Call, ScriptedLLM, Turn, call, say

CONFIRMED = "Thanks, Ada. I'm following up on your application; I have two quick questions. Is now a good time?"
GREETING = ("Hello, this is an automated assistant calling on behalf of Jordan Lee at Acme Corp. "
            "This call is transcribed. Am I speaking with Ada Lovelace?")
SIP = {"dialer.mode": "gap_filling", "sip.callStatus": "active", "sip.phoneNumber": "+15550123"}
WEB = {"dialer.mode": "gap_filling"}


@asynccontextmanager
async def gap_call(
    dialer: FakeDialer,
    settings: AgentSettings,
    turns: list[Turn],
    *,
    fields: list[str] | None = None,
    attributes: dict[str, str] | None = None,
    control: LocalCallControl | None = None,
    transfer_to: str | None = "tel:+15550100",
    greet: bool = True,
    identified: bool = True,
    currency: str | None = "USD",
) -> AsyncIterator[tuple[TextRun, FakeCall, ScriptedLLM]]:
    """`greet`: the callee answered and heard the greeting (the agent says nothing before that, and no user turn
    gets a reply before it). `identified`: then they said they are the candidate, and the model called
    confirm_identity (nothing is asked or saved before that)."""
    fake_call = dialer.add_call(
        "call-1", token="tok-call-1", fields=fields or ["quota_attainment", "notice_period_weeks"],
        transfer_to=transfer_to, currency=currency,
    )
    opening = [call("confirm_identity"), say(CONFIRMED)] if greet and identified else []
    model = ScriptedLLM(opening + turns)
    async with open_text_session(
        gap_filling_metadata(dialer, "call-1"), SIP if attributes is None else attributes,
        llm=model, settings=settings, clock=fixed_clock, call_control=control,
    ) as run:
        assert isinstance(run.agent, GapFillingAgent)
        if greet:
            await run.agent.greet()
            if identified:
                await run.user_says("Yes, speaking")
        yield run, fake_call, model


def said(run: TextRun) -> list[str]:
    """Everything the agent said, in order."""
    return [m.text_content or "" for m in run.session.history.messages() if m.role == "assistant"]


def tool_output(model: ScriptedLLM, *, turn: int = -1) -> str:
    """The last tool output the model was shown before its `turn`-th response."""
    outputs = [item for item in model.contexts[turn].items if item.type == "function_call_output"]
    return outputs[-1].output


async def test_answer_is_read_back_and_saved_only_after_confirmation(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("record_field", name="quota_attainment", value="about a hundred and twelve percent", confirmed=False),
        say("Just to confirm, that's 112 percent?"),
        call("record_field", name="quota_attainment", value="112%", confirmed=True),
        say("Thank you. How many weeks of notice do you need to give?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        first = await run.user_says("It was about a hundred and twelve percent")
        first.expect.next_event().is_function_call(name="record_field", arguments={"confirmed": False})
        read_back = first.expect.next_event().is_function_call_output(is_error=False).event().item.output
        assert 'quota attainment, "a hundred and twelve percent"' in read_back and '"112%"' in read_back
        first.expect.next_event().is_message(role="assistant")
        first.expect.no_more_events()
        assert fake_call.saved == {}  # nothing saved before the callee confirmed

        second = await run.user_says("Yes, that's right")
        second.expect.next_event().is_function_call(
            name="record_field", arguments={"name": "quota_attainment", "value": "112%", "confirmed": True}
        )
        saved = second.expect.next_event().is_function_call_output(is_error=False).event().item.output
        assert "Still to ask: notice period" in saved
        second.expect.next_event().is_message(role="assistant")
        second.expect.no_more_events()

    assert fake_call.saved == {
        "quota_attainment": {
            "name": "quota_attainment", "value": "112%", "status": "answered",
            "source_text": "It was about a hundred and twelve percent",
        }
    }


async def test_confirming_without_a_read_back_saves_nothing(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("record_field", name="quota_attainment", value="112 percent", confirmed=True),
        say("Sorry, let me check: 112 percent, correct?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        result = await run.user_says("112 percent")
        result.expect.next_event().is_function_call(name="record_field")
        result.expect.next_event().is_function_call_output(is_error=True)
        assert "has not been read back" in tool_output(model)
    assert fake_call.saved == {}


async def test_a_corrected_answer_needs_its_own_read_back(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("record_field", name="notice_period_weeks", value="four weeks", confirmed=False),
        say("Four weeks, right?"),
        call("record_field", name="notice_period_weeks", value="six weeks", confirmed=True),
        say("Sorry, six weeks?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        await run.user_says("four weeks")
        result = await run.user_says("No, six weeks actually")
        result.expect.next_event().is_function_call(name="record_field", arguments={"value": "six weeks"})
        result.expect.next_event().is_function_call_output(is_error=True)
    assert fake_call.saved == {}


async def test_invalid_answer_is_refused_and_the_agent_is_told_why(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("record_field", name="notice_period_weeks", value="it depends on the project", confirmed=False),
        say("I need a number of weeks, like four. Roughly how many?"),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        result = await run.user_says("It depends on the project")
        result.expect.next_event().is_function_call(name="record_field")
        result.expect.next_event().is_function_call_output(is_error=True)
        result.expect.next_event().is_message(role="assistant")
        # The model's next turn saw the dialer.fields message it can say back.
        assert "I need a number of weeks, like 4." in tool_output(model)
    assert fake_call.saved == {}


async def test_a_field_this_call_does_not_ask_for_is_refused(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [call("record_field", name="current_salary", value="90k", confirmed=False), say("Let's move on.")]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        result = await run.user_says("I make 90k by the way")
        result.expect.next_event().is_function_call(name="record_field")
        result.expect.next_event().is_function_call_output(is_error=True)
        assert "not one of the fields for this call" in tool_output(model)
        assert "quota_attainment, notice_period_weeks" in tool_output(model)
    assert fake_call.saved == {}


@pytest.mark.parametrize("status", ["unknown", "declined"])
async def test_unknown_or_declined_is_recorded_without_a_value(
    dialer: FakeDialer, settings: AgentSettings, status: str
) -> None:
    turns = [call("record_unknown", name="quota_attainment", status=status), say("No problem.")]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        result = await run.user_says("I'd rather not say" if status == "declined" else "No idea")
        result.expect.next_event().is_function_call(name="record_unknown", arguments={"status": status})
        output = result.expect.next_event().is_function_call_output(is_error=False).event().item.output
        assert f"quota attainment is {status}" in output and "Still to ask: notice period" in output
    assert fake_call.saved["quota_attainment"]["status"] == status
    assert fake_call.saved["quota_attainment"]["value"] is None


async def test_last_field_tells_the_agent_to_wrap_up(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [call("record_unknown", name="quota_attainment", status="unknown"), say("Thanks, that's all.")]
    async with gap_call(dialer, settings, turns, fields=["quota_attainment"]) as (run, _, model):
        await run.user_says("I don't know")
        assert "Every field is done" in tool_output(model)


async def test_do_not_call_says_its_own_goodbye_and_hangs_up(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, [call("do_not_call", reason="asked not to be called again")],
                        control=control) as (run, fake_call, model):
        result = await run.user_says("Please never call me again")
        result.expect.next_event().is_function_call(name="do_not_call")
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert said(run).count(prompts.opt_out_goodbye()) == 1
        assert model.remaining == 0
    assert fake_call.dnc == ["asked not to be called again"]
    assert fake_call.ends == [{"outcome": "answered", "reason": "asked not to be called again"}]


async def test_the_end_is_told_to_the_dialer_only_after_the_goodbye(dialer: FakeDialer, settings: AgentSettings) -> None:
    """The dialer closes the call's room when told how the call ended: told before the goodbye, it cut the goodbye
    off after its first sentence on real LiveKit (the voice stage's opt-out scenario)."""
    control = LocalCallControl()
    told, release = dialer.hold("/end")
    async with gap_call(dialer, settings, [call("do_not_call", reason="asked not to be called again")],
                        control=control) as (run, fake_call, _model):
        await run.user_says("Please never call me again")
        await asyncio.wait_for(told.wait(), 5)
        assert prompts.opt_out_goodbye() in said(run)
        assert control.hang_ups == 0
        release.set()
        await asyncio.wait_for(control.hung_up.wait(), 5)
    assert fake_call.dnc == ["asked not to be called again"]
    assert fake_call.ends == [{"outcome": "answered", "reason": "asked not to be called again"}]


async def test_callback_outside_hours_is_refused_then_booked(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("schedule_callback", local_time="2026-11-26T21:30"),
        say("That's after our calling hours. Could we do earlier?"),
        call("schedule_callback", local_time="2026-11-26T15:00"),
        say("Great, I'll call you tomorrow at 3 PM."),
    ]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        refused = await run.user_says("Call me tomorrow at 9:30 PM")
        refused.expect.next_event().is_function_call(name="schedule_callback")
        refused.expect.next_event().is_function_call_output(is_error=True)
        assert "outside calling hours" in tool_output(model)
        booked = await run.user_says("OK, 3 PM then")
        booked.expect.next_event().is_function_call(name="schedule_callback", arguments={"local_time": "2026-11-26T15:00"})
        assert "Callback booked for tomorrow, Thursday November twenty-sixth, at 3 p.m. your time" in booked.expect.next_event().is_function_call_output(
            is_error=False
        ).event().item.output
    assert fake_call.callbacks == ["2026-11-26T15:00"]


async def test_callback_time_that_is_not_a_time_is_refused_locally(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [call("schedule_callback", local_time="tomorrow afternoon"), say("What time exactly?")]
    async with gap_call(dialer, settings, turns) as (run, fake_call, model):
        await run.user_says("Tomorrow afternoon")
        assert "YYYY-MM-DDTHH:MM" in tool_output(model)
    assert fake_call.callbacks == []
    assert ("POST", "/api/agent/calls/call-1/callback") not in dialer.requests


class WitnessedTransfers(LocalCallControl):
    """Notes, as each REFER leaves, how many transfer-started reports the dialer had already received."""

    def __init__(self, dialer: FakeDialer, **options: bool) -> None:
        super().__init__(**options)
        self._dialer = dialer
        self.started_before_refer: list[int] = []

    async def transfer(self, transfer_to: str) -> None:
        self.started_before_refer.append(self._dialer.calls["call-1"].transfers_started)
        await super().transfer(transfer_to)


async def test_transfer_to_human_refers_the_phone_call(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = WitnessedTransfers(dialer, can_transfer=True)
    turns = [Turn(text="Sure, transferring you now.", calls=(Call("transfer_to_human"),))]
    async with gap_call(dialer, settings, turns, control=control) as (run, fake_call, _):
        result = await run.user_says("Can I talk to a real person?")
        result.expect.contains_function_call(name="transfer_to_human")
        result.expect.contains_message(role="assistant")
        await asyncio.wait_for(run.agent.wait_background(), 5)  # type: ignore[attr-defined]
    assert control.transfers == ["tel:+15550100"]
    # The dialer heard of the transfer before the REFER left (the phone leg's departure may reach it first), and
    # of its success after: an outcome of its own, never retried.
    assert control.started_before_refer == [1]
    assert fake_call.ends == [{"outcome": "transferred", "reason": "transferred to a person"}]
    assert fake_call.transfer_failures == []


async def test_a_transfer_goes_ahead_when_the_dialer_cannot_take_its_notice(
    dialer: FakeDialer, settings: AgentSettings
) -> None:
    control = LocalCallControl(can_transfer=True)
    turns = [Turn(text="Sure, transferring you now.", calls=(Call("transfer_to_human"),))]
    async with gap_call(dialer, settings, turns, control=control) as (run, fake_call, _):
        dialer.fail_with = 503
        result = await run.user_says("Can I talk to a real person?")
        result.expect.contains_function_call(name="transfer_to_human")
        await asyncio.wait_for(run.agent.wait_background(), 5)  # type: ignore[attr-defined]
    assert control.transfers == ["tel:+15550100"]  # the candidate asked for a person: a dialer outage does not stop it
    assert fake_call.transfers_started == 0


@pytest.mark.parametrize(
    ("attributes", "transfer_to", "fail"),
    [(WEB, "tel:+15550100", False), (SIP, None, False), (SIP, "tel:+15550100", True)],
    ids=["web-participant", "no-transfer-number", "refer-refused"],
)
async def test_transfer_impossible_is_explained(
    dialer: FakeDialer, settings: AgentSettings, attributes: dict[str, str], transfer_to: str | None, fail: bool
) -> None:
    control = WitnessedTransfers(dialer, can_transfer=attributes is SIP, fail_transfer=fail)
    turns = [call("transfer_to_human"), say("I can't transfer you, but I can have someone call you back.")]
    async with gap_call(dialer, settings, turns, attributes=attributes, control=control, transfer_to=transfer_to) as (
        run, fake_call, model,
    ):
        result = await run.user_says("Put me through to a person")
        result.expect.next_event().is_function_call(name="transfer_to_human")
        result.expect.next_event().is_function_call_output(is_error=True)
        assert "callback" in tool_output(model)
    assert control.transfers == []
    assert fake_call.ends == [{"outcome": "answered", "reason": "session closed"}]  # the call went on
    assert fake_call.transfer_failures == ([486] if fail else [])  # a refused REFER is on the call's record
    assert control.started_before_refer == ([1] if fail else [])  # nothing is started that cannot be tried
    assert fake_call.transfers_started == (1 if fail else 0)


async def test_end_call_after_the_models_goodbye_says_no_second_one(dialer: FakeDialer, settings: AgentSettings) -> None:
    """Issue 12 item 10: end_call used to ask for a goodbye even when the model had just said it."""
    control = LocalCallControl()
    goodbye = "Thanks Ada, have a great day. Goodbye!"
    turns = [Turn(text=goodbye, calls=(Call("end_call", {"reason": "all fields collected"}),)),
             say("Goodbye again!")]
    async with gap_call(dialer, settings, turns, control=control) as (run, fake_call, model):
        await run.user_says("That's everything, right?")
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert said(run)[2:] == [goodbye]  # after the greeting and the reply to "Yes, speaking"
        assert model.remaining == 1  # the model was not asked for another goodbye
    assert fake_call.ends == [{"outcome": "answered", "reason": "all fields collected"}]
    assert control.hang_ups == 1


async def test_end_call_without_a_goodbye_says_one(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, [call("end_call", reason="callee is busy")], control=control) as (
        run, fake_call, model,
    ):
        await run.user_says("I have to go")
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert said(run)[2:] == [prompts.closing_goodbye()]
    assert fake_call.ends == [{"outcome": "answered", "reason": "callee is busy"}]


async def test_voicemail_leaves_the_message_marks_voicemail_and_hangs_up(
    dialer: FakeDialer, settings: AgentSettings
) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, [call("voicemail_detected")], control=control) as (run, fake_call, model):
        result = await run.user_says("You've reached Ada. Leave a message after the tone.")
        result.expect.next_event().is_function_call(name="voicemail_detected")
        result.expect.next_event().is_function_call_output()
        message = result.expect.next_event().is_message(role="assistant").event().item
        assert message.text_content == "Hi, it's the recruiting team. We'll call again soon."  # the dialer's text
        result.expect.no_more_events()
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert model.remaining == 0
    assert fake_call.ends == [{"outcome": "voicemail", "reason": "answering machine"}]


async def test_every_turn_is_posted_to_the_dialer(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [say("Great. What was your quota attainment last year?")]
    async with gap_call(dialer, settings, turns, greet=False) as (run, fake_call, _):
        await run.agent.greet()  # type: ignore[attr-defined]
        await run.user_says("Sure, go ahead")
    assert [(t["role"], t["text"]) for t in fake_call.transcript] == [
        ("agent", GREETING),
        ("callee", "Sure, go ahead"),
        ("agent", "Great. What was your quota attainment last year?"),
    ]
    assert all(t["at"] == "2026-11-25T15:00:00+00:00" for t in fake_call.transcript)


async def test_callee_hanging_up_mid_call_still_reports_the_end(dialer: FakeDialer, settings: AgentSettings) -> None:
    async with gap_call(dialer, settings, [], greet=False) as (run, fake_call, _):
        await run.agent.greet()  # type: ignore[attr-defined]
    assert fake_call.ends == [{"outcome": "answered", "reason": "session closed"}]


async def test_no_end_is_reported_for_a_call_that_never_started(dialer: FakeDialer, settings: AgentSettings) -> None:
    async with gap_call(dialer, settings, [], greet=False) as (_, fake_call, _):
        pass
    assert fake_call.ends == []


async def test_dialer_outage_during_save_is_said_politely(dialer: FakeDialer, settings: AgentSettings) -> None:
    turns = [
        call("record_unknown", name="quota_attainment", status="unknown"),
        say("Sorry, I couldn't note that. Let's continue."),
    ]
    async with gap_call(dialer, settings, turns) as (run, _, model):
        dialer.fail_with = 503
        result = await run.user_says("I don't know")
        result.expect.next_event().is_function_call(name="record_unknown")
        result.expect.next_event().is_function_call_output(is_error=True)
        assert "could not save that just now" in tool_output(model)
        dialer.fail_with = None


async def test_answered_by_a_person_is_greeted(dialer: FakeDialer, settings: AgentSettings) -> None:
    async with gap_call(dialer, settings, [], attributes={**SIP, "sandbox.answeredBy": "human"},
                        greet=False) as (run, fake, _):
        await run.answer()
        said = [m.text_content for m in run.session.history.messages() if m.role == "assistant"]
        assert said == [GREETING]
    assert fake.ends == [{"outcome": "answered", "reason": "session closed"}]


async def test_answered_by_a_machine_gets_the_voicemail(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = LocalCallControl()
    attributes = {**SIP, "sandbox.answeredBy": "machine"}
    async with gap_call(dialer, settings, [], attributes=attributes, control=control, greet=False) as (run, fake, _):
        await run.answer()
        await asyncio.wait_for(control.hung_up.wait(), 5)
        said = [m.text_content for m in run.session.history.messages() if m.role == "assistant"]
        assert said == ["Hi, it's the recruiting team. We'll call again soon."]
    assert fake.ends == [{"outcome": "voicemail", "reason": "answering machine"}]


async def test_machine_without_a_mailbox_is_hung_up_on_silently(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, [], control=control, greet=False) as (run, fake, _):
        assert isinstance(run.agent, GapFillingAgent)
        await run.agent.answered("hang_up", detail="(machine-unavailable)")
        assert control.hang_ups == 1
        assert [m for m in run.session.history.messages() if m.role == "assistant"] == []
    assert fake.ends == [{"outcome": "voicemail", "reason": "answering machine (machine-unavailable)"}]
