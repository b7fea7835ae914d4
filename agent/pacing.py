"""Silence and pacing on a phone call, with livekit-agents 1.8's own options.

- End of turn: the VAD decides, with an endpointing delay long enough that "a hundred... and twelve" stays one turn
  (dynamic, 0.8-3.0 s, instead of the 0.5 s default, which a thinking pause on a phone line outlasts).
- Interruptions: by words, not by an "mm-hm": at least two transcribed words and 0.6 s of speech
  (`interruption.min_words` counts STT words), and speech that turns out to be noise resumes the agent's sentence.
- Silence: after `user_away_timeout` with both sides quiet the session marks the user "away"; the watcher asks
  "Are you still there?", and after `MAX_PROMPTS` unanswered prompts ends the call politely (its own goodbye).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from livekit.agents import AgentSession, UserStateChangedEvent
from livekit.agents.voice import SpeechHandle
from livekit.agents.voice.turn import TurnHandlingOptions

from .background import BackgroundTasks

AWAY_AFTER_S = 8.0
MAX_PROMPTS = 2
STILL_THERE = "Are you still there?"

PHONE_TURN_HANDLING: TurnHandlingOptions = {
    "turn_detection": "vad",
    "endpointing": {"mode": "dynamic", "min_delay": 0.8, "max_delay": 3.0},
    "interruption": {
        "mode": "vad",
        "min_duration": 0.6,
        "min_words": 2,
        "resume_false_interruption": True,
        "false_interruption_timeout": 1.5,
    },
}


class SilenceWatch:
    """Asks "Are you still there?" when the callee goes quiet; after `max_prompts` of them, `give_up` ends the call.

    Any speech from the callee resets the count. Each prompt re-arms livekit-agents' away timer once it is said."""

    def __init__(
        self,
        session: AgentSession[None],
        *,
        give_up: Callable[[], Coroutine[Any, Any, None]],
        max_prompts: int = MAX_PROMPTS,
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        self._session = session
        self._give_up = give_up
        self._max = max_prompts
        self._active = active  # e.g. only once the callee was greeted and while the call is not ending
        self._prompts = 0
        self.last_prompt: SpeechHandle | None = None
        self._background = BackgroundTasks()
        session.on("user_state_changed", self._changed)

    @property
    def prompts(self) -> int:
        return self._prompts

    def _changed(self, event: UserStateChangedEvent) -> None:
        if event.new_state == "speaking":
            self._prompts = 0
            return
        if event.new_state != "away" or not self._active():
            return
        if self._prompts >= self._max:
            self._background.spawn(self._give_up(), name="silence-give-up")
            return
        self._prompts += 1
        self.last_prompt = self._session.say(STILL_THERE)
        self._background.spawn(self._rearm(self.last_prompt), name="silence-rearm")

    async def _rearm(self, prompt: SpeechHandle) -> None:
        """livekit-agents reports "away" once and stays there while the callee is silent: after the prompt, back
        to "listening" so a silence that goes on is reported again (else one prompt, and the line stays open)."""
        await prompt
        self._session.reset_away_timer()

    async def wait(self) -> None:
        await self._background.wait()
