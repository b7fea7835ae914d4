"""Silence and pacing: "Are you still there?", a polite end after the limit, and phone turn options."""

from __future__ import annotations

import asyncio

from livekit.agents import UserStateChangedEvent

from agent import pacing, prompts
from agent.call_control import LocalCallControl
from agent.settings import AgentSettings
from dialer_testing.fake_dialer import FakeDialer
from tests.unit.agent.test_agent_gap_filling import gap_call, said


def _callee(run: object, state: str, old: str = "listening") -> None:
    run.session.emit("user_state_changed", UserStateChangedEvent(old_state=old, new_state=state))  # type: ignore[attr-defined, arg-type]


async def _playout(run: object) -> None:
    watch = run.agent.silence  # type: ignore[attr-defined]
    if watch is not None and watch.last_prompt is not None:
        await watch.last_prompt


async def test_silence_asks_are_you_still_there_then_ends_politely(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, [], control=control) as (run, fake_call, _):
        for _ in range(pacing.MAX_PROMPTS):
            _callee(run, "away")
            await _playout(run)
        assert said(run).count(pacing.STILL_THERE) == pacing.MAX_PROMPTS
        _callee(run, "away")
        await asyncio.wait_for(control.hung_up.wait(), 5)
        assert said(run)[-1] == prompts.silence_goodbye()
    assert fake_call.ends == [{"outcome": "answered", "reason": "no response from the callee"}]


async def test_an_answer_resets_the_silence_count(dialer: FakeDialer, settings: AgentSettings) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, [], control=control) as (run, _, _):
        for _ in range(pacing.MAX_PROMPTS + 2):
            _callee(run, "away")
            await _playout(run)
            _callee(run, "speaking", old="away")
        assert control.hang_ups == 0
        assert said(run).count(pacing.STILL_THERE) == pacing.MAX_PROMPTS + 2


async def test_no_prompt_before_the_greeting(dialer: FakeDialer, settings: AgentSettings) -> None:
    async with gap_call(dialer, settings, [], greet=False) as (run, _, _):
        _callee(run, "away")
        assert said(run) == []


def test_phone_turns_wait_for_a_pause_and_are_interrupted_by_words() -> None:
    options = pacing.PHONE_TURN_HANDLING
    assert options["turn_detection"] == "vad"
    assert options["endpointing"]["min_delay"] >= 0.8  # "a hundred... and twelve" is one turn
    assert options["interruption"]["min_words"] >= 2  # an "mm-hm" does not interrupt
    assert pacing.AWAY_AFTER_S > 0
