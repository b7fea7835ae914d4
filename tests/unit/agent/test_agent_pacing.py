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


class _AwayOnce:
    """livekit-agents' user-away state as AgentSession keeps it: "away" is reported once, when the timer fires, and
    the state stays "away" until `reset_away_timer` (or the callee's speech) brings it back to "listening"."""

    def __init__(self) -> None:
        self.state = "listening"
        self.handlers: list[object] = []
        self.said: list[str] = []

    def on(self, _event: str, handler: object) -> None:
        self.handlers.append(handler)

    def _set(self, state: str) -> None:
        if state != self.state:
            event = UserStateChangedEvent(old_state=self.state, new_state=state)  # type: ignore[arg-type]
            self.state = state
            for handler in self.handlers:
                handler(event)  # type: ignore[operator]

    def timer_fires(self) -> None:
        self._set("away")

    def say(self, text: str) -> asyncio.Future[None]:
        self.said.append(text)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def reset_away_timer(self) -> None:
        self._set("listening")


async def test_a_silence_that_goes_on_gets_every_prompt_then_the_goodbye() -> None:
    """On the stage a silent callee heard one "Are you still there?" and then nothing for minutes: the session
    never reports "away" twice in a row, so the watch must re-arm it after each prompt."""
    session, gave_up = _AwayOnce(), asyncio.Event()

    async def give_up() -> None:
        gave_up.set()

    watch = pacing.SilenceWatch(session, give_up=give_up)  # type: ignore[arg-type]
    for _ in range(pacing.MAX_PROMPTS + 1):
        session.timer_fires()
        await watch.wait()  # the prompt is said and the away state re-armed
    await asyncio.wait_for(gave_up.wait(), 5)
    assert session.said == [pacing.STILL_THERE] * pacing.MAX_PROMPTS
