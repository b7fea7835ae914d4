"""A deterministic stand-in for the chat model on an interviewer briefing: brief from the record, answer from it.

The sandbox's text briefing (no audio there) runs the real `BriefingAgent` and its read-only tools with this policy
when no model key is set: it opens with the record's summary, answers a question about a profile field through the
agent's `lookup_field` tool (and the resume and notes through theirs), and says plainly when the record does not
say. Pure: no I/O; agent/policy_llm.py puts it behind the `llm.LLM` interface.
"""

from __future__ import annotations

import re

from .policy_model import Reply, ToolCall
from .prompts import spoken_value
from .schemas import Briefing

_SUMMARY = re.compile(r"\b(summary|resume|résumé|background|experience|who is|tell me about)\b", re.IGNORECASE)
_NOTES = re.compile(r"\b(notes?|concerns?|recruiter|gaps?|red flags?)\b", re.IGNORECASE)
_THANKS = re.compile(r"\b(thanks|thank you|that'?s all|bye|goodbye)\b", re.IGNORECASE)
_INSTRUCTION = re.compile(r"\s*The record does not say\..*$|\s*Tell the interviewer plainly.*$")


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in ("the", "of", "weeks")]


class BriefingPolicy:
    """The next move on a briefing: the opening briefing, a tool for a question, or the tool's answer said."""

    def __init__(self, briefing: Briefing) -> None:
        self._briefing = briefing

    def on_start(self) -> Reply:
        b = self._briefing
        role = b.interview.role or "an open role"
        parts = [f"Here is your briefing on {b.candidate.name}, for the {role} interview."]
        parts.append(f"Summary: {b.interview.resume_summary}" if b.interview.resume_summary
                     else "There is no resume summary on record.")
        if b.interview.notes:
            parts.append(f"Recruiter notes: {b.interview.notes}")
        known = [f"{name.replace('_', ' ')}: {spoken_value(value)}" for name, value in b.candidate.fields.items()
                 if value not in (None, "", [])]
        parts.append("On record: " + "; ".join(known) + "." if known else "No profile fields are on record.")
        parts.append("What else would you like to know?")
        return Reply(text=" ".join(parts))

    def on_callee(self, text: str) -> Reply:
        said = text.lower()
        field = self._field_in(said)
        if field is not None:
            return Reply(tool=ToolCall("lookup_field", {"name": field}))
        if _NOTES.search(said):
            return Reply(tool=ToolCall("notes"))
        if _SUMMARY.search(said):
            return Reply(tool=ToolCall("resume_summary"))
        if _THANKS.search(said):
            return Reply(text="Good luck with the interview.")
        return Reply(text="I don't know that: the record does not say.")

    def _field_in(self, said: str) -> str | None:
        for name in self._briefing.candidate.fields:
            words = _words(name)
            if words and all(word in said for word in words):
                return name
        return None

    def on_tool_result(self, tool: str, args: dict[str, object], output: str, *, is_error: bool) -> Reply:
        if is_error:
            return Reply(text="I couldn't look that up just now.")
        answer = _INSTRUCTION.sub("", output).strip()
        if tool == "lookup_field" and ":" in answer and "on record" not in answer:
            name, _, value = answer.partition(":")
            return Reply(text=f"{name.replace('_', ' ').capitalize()}: {value.strip()}.")
        if "on record" in answer or not answer:
            return Reply(text="I don't know that: the record does not say.")
        return Reply(text=answer)
