"""Inbound briefing calls: find out who is calling and which interview, then hand over to the briefing.

The caller is looked up by their number first; if unknown, they give a PIN (keypad or speech). With
several interviews today they pick one by number. Each step has limited tries, then a polite goodbye.
Keypad input is handled in code, without the LLM, so digits are acted on at once and exactly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from livekit.agents import Agent, StopResponse, function_tool

from . import prompts
from .background import BackgroundTasks
from .briefing import BriefingAgent
from .call_control import CallControl
from .dialer_client import DialerClient, DialerRejected, DialerUnavailable
from .dtmf import DIGITS, DtmfBuffer, digits_of
from .schemas import Identification, InterviewChoice

logger = logging.getLogger(__name__)

WELCOME = (
    "Welcome to the interview briefing line. Please enter your briefing PIN on the keypad, "
    "followed by the pound key, or just say it."
)
UNAVAILABLE = "Sorry, the briefing line is not available right now. Please try again in a few minutes. Goodbye."


@dataclass(frozen=True)
class Say:
    """Tell the caller something and wait for their next input."""

    text: str


@dataclass(frozen=True)
class Goodbye:
    text: str


@dataclass(frozen=True)
class Brief:
    agent: BriefingAgent


Step = Say | Goodbye | Brief


class CallerIdentificationAgent(Agent):
    def __init__(
        self,
        *,
        client: DialerClient,
        caller_phone: str | None,
        call_control: CallControl,
        max_attempts: int = 3,
        answered: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`answered` waits until the phone leg is answered (raising RuntimeError if the caller hangs up first):
        livekit/sip keeps an inbound call ringing until the agent's track is subscribed, so anything said before
        `sip.callStatus` is `active` is lost."""
        super().__init__(instructions=prompts.identification_instructions(max_attempts=max_attempts))
        self._client = client
        self._phone = caller_phone
        self._control = call_control
        self._max = max_attempts
        self._stage: Literal["pin", "choose", "done"] = "pin"
        self._attempts = 0
        self._choices: list[InterviewChoice] = []
        self._keypad = DtmfBuffer()
        self._busy = False
        self._background = BackgroundTasks()
        self._answered = answered
        # Resolves to the chosen interview id, or None when the caller was sent away.
        self.identified: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    async def on_enter(self) -> None:
        self._background.spawn(self._act(self._opening()), name="identify-start")

    async def _opening(self) -> Step | None:
        """The first step, looked up while the phone still rings, said once it is answered (None: caller gone)."""
        step = await self._start()
        if self._answered is not None:
            try:
                await self._answered()
            except RuntimeError:
                self._stage = "done"
                if not self.identified.done():
                    self.identified.set_result(None)
                return None
        return step

    # -- keypad ---------------------------------------------------------------------------------

    def on_dtmf(self, key: str) -> None:
        """Feed one keypad press (wired to the room's `sip_dtmf_received`)."""
        if self._busy or self._stage == "done":
            return
        if self._stage == "choose":
            if key in DIGITS:
                self._busy = True  # set now: a second key before the task runs must not submit twice
                self._background.spawn(self._act(self.submit_choice(int(key)), interrupt=True), name="dtmf-choice")
            return
        entry = self._keypad.push(key)
        if entry is not None:
            self._busy = True
            self._background.spawn(self._act(self.submit_pin(entry), interrupt=True), name="dtmf-pin")

    # -- tools (speech) -------------------------------------------------------------------------

    @function_tool
    async def verify_pin(self, pin: str) -> BriefingAgent | str:
        """Check the briefing PIN the caller said.

        Args:
            pin: The PIN as digits, e.g. "4821".
        """
        return await self._for_llm(self.submit_pin(digits_of(pin)))

    @function_tool
    async def choose_interview(self, number: int) -> BriefingAgent | str:
        """Pick one of the interviews read out to the caller.

        Args:
            number: The number the caller chose, starting at 1.
        """
        return await self._for_llm(self.submit_choice(number))

    # -- the steps, shared by keypad and speech -------------------------------------------------

    async def submit_pin(self, pin: str) -> Step:
        if self._stage != "pin":
            return Say("There is no PIN needed now." if self._stage == "done" else self._menu_text())
        self._attempts += 1
        if not pin:
            return self._retry_or_goodbye("I did not get any digits.")
        try:
            found = await self._client.verify_pin(pin=pin, phone=self._phone)
        except DialerRejected:
            found = None
        except DialerUnavailable:
            return Goodbye(UNAVAILABLE)
        if found is None or found.interviewer is None:
            return self._retry_or_goodbye("That PIN was not recognised.")
        return await self._recognised(found)

    async def submit_choice(self, number: int) -> Step:
        if self._stage != "choose":
            return Say(WELCOME if self._stage == "pin" else "You are already being briefed.")
        if 1 <= number <= len(self._choices):
            return await self._brief(self._choices[number - 1])
        self._attempts += 1
        return self._retry_or_goodbye(f"Please choose a number from 1 to {len(self._choices)}.")

    async def _start(self) -> Step:
        if self._phone:
            try:
                found = await self._client.identify(phone=self._phone)
            except DialerRejected:
                found = None
            except DialerUnavailable:
                return Goodbye(UNAVAILABLE)
            if found is not None and found.interviewer is not None:
                return await self._recognised(found)
        return Say(WELCOME)

    async def _recognised(self, found: Identification) -> Step:
        assert found.interviewer is not None
        name = found.interviewer.name.split()[0] if found.interviewer.name.strip() else "there"
        if not found.interviews:
            return Goodbye(f"Hi {name}. I don't see an interview for you today, so there is nothing to brief. Goodbye.")
        if len(found.interviews) == 1:
            return await self._brief(found.interviews[0])
        self._stage, self._attempts, self._choices = "choose", 0, list(found.interviews)
        return Say(f"Hi {name}. You have {len(self._choices)} interviews coming up. {self._menu_text()}")

    async def _brief(self, choice: InterviewChoice) -> Step:
        try:
            briefing = await self._client.briefing(choice.id)
        except (DialerRejected, DialerUnavailable) as exc:
            logger.warning("briefing for interview %s could not be loaded: %s", choice.id, exc.status)
            return Goodbye(UNAVAILABLE)
        self._stage = "done"
        if not self.identified.done():
            self.identified.set_result(choice.id)
        return Brief(BriefingAgent(briefing=briefing))

    def _retry_or_goodbye(self, problem: str) -> Step:
        if self._attempts >= self._max:
            return Goodbye(f"{problem} I'm sorry, I can't identify you. Please contact your recruiter. Goodbye.")
        again = "Please enter or say your PIN again." if self._stage == "pin" else self._menu_text()
        return Say(f"{problem} {again}")

    def _menu_text(self) -> str:
        return prompts.interview_menu(self._choices)

    # -- acting on a step -----------------------------------------------------------------------

    async def _act(self, step_coro: Awaitable[Step | None], *, interrupt: bool = False) -> None:
        """Keypad and start-up path: speak fixed lines, switch agents or hang up directly."""
        self._busy = True
        try:
            step = await step_coro
        finally:
            self._busy = False
        if step is None:
            return
        if interrupt:
            self.session.interrupt()
        if isinstance(step, Brief):
            self.session.update_agent(step.agent)
        elif isinstance(step, Say):
            await self.session.say(step.text)  # awaited so `wait_background()` covers the playout
        else:
            self._goodbye(step.text)

    async def _for_llm(self, step_coro: Awaitable[Step]) -> BriefingAgent | str:
        """Speech path: a handoff is returned to the framework; text goes back to the model."""
        step = await step_coro
        if isinstance(step, Brief):
            return step.agent
        if isinstance(step, Say):
            return f"Say to the caller: {step.text}"
        self._goodbye(step.text)
        raise StopResponse()

    def _goodbye(self, text: str) -> None:
        self._stage = "done"
        if not self.identified.done():
            self.identified.set_result(None)
        handle = self.session.say(text, allow_interruptions=False)

        async def hang_up_after() -> None:
            await handle
            await self._control.hang_up()
            self.session.shutdown()

        self._background.spawn(hang_up_after(), name="identify-goodbye")

    async def wait_background(self) -> None:
        await self._background.wait()

