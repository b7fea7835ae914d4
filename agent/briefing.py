"""The interviewer briefing: read-only, and it answers only from the candidate's record.

The whole record is already in the prompt; the tools return exact values so the model quotes rather
than paraphrases, and say plainly when the record has nothing, so "I don't know" beats a guess.
"""

from __future__ import annotations

import re

from livekit.agents import Agent, function_tool, llm
from livekit.agents.types import NOT_GIVEN, NotGivenOr

from . import prompts
from .schemas import Briefing

NOT_ON_RECORD = "The record does not say. Tell the interviewer plainly that you don't know; do not guess."


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


class BriefingAgent(Agent):
    def __init__(self, *, briefing: Briefing, chat_ctx: NotGivenOr[llm.ChatContext] = NOT_GIVEN) -> None:
        self._briefing = briefing
        super().__init__(instructions=prompts.briefing_instructions(briefing), chat_ctx=chat_ctx)

    @property
    def briefing(self) -> Briefing:
        return self._briefing

    async def on_enter(self) -> None:
        # Web participants and identified phone callers are both present by now: brief at once.
        self.session.generate_reply(instructions=prompts.briefing_greeting_instructions(self._briefing))

    @function_tool
    async def lookup_field(self, name: str) -> str:
        """Look up one profile field of the candidate, e.g. quota attainment or notice period.

        Args:
            name: The field's name or label, e.g. "quota_attainment".
        """
        fields = self._briefing.candidate.fields
        wanted = _key(name)
        match = next((key for key in fields if _key(key) == wanted), None)
        if match is None:
            known = ", ".join(fields) or "none"
            return f"There is no field called {name!r} on record (fields on record: {known}). {NOT_ON_RECORD}"
        value = fields[match]
        if value is None or value == "" or value == []:
            return f"{match} is empty on record. {NOT_ON_RECORD}"
        return f"{match}: {prompts.spoken_value(value)}"

    @function_tool
    async def resume_summary(self) -> str:
        """The candidate's resume summary, exactly as on record."""
        return self._briefing.interview.resume_summary or f"No resume summary on record. {NOT_ON_RECORD}"

    @function_tool
    async def notes(self) -> str:
        """The recruiter's notes about the candidate for this interview, exactly as on record."""
        return self._briefing.interview.notes or f"No recruiter notes on record. {NOT_ON_RECORD}"
