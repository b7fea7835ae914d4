"""Scripted callees for the sandbox's simulated conversations, chosen by the number dialled.

Each persona answers what the agent said, turn by turn, as a person with that intent would: it hears only the
agent's words (whatever model produced them), answers the question it recognises, says yes to a read-back of its
own answer, and hangs up (None) when it has nothing left to say. It knows its own facts: a plausible answer for
each field type. Pure: no I/O, no timing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.schemas import CallField

COOPERATIVE = "cooperative"
CALLBACK = "asks_for_callback"
OPTS_OUT = "opts_out"
WRONG_PERSON = "wrong_person"
SCREENS = "screens_the_call"
VOICEMAIL = "voicemail"
PERSONAS = (COOPERATIVE, CALLBACK, OPTS_OUT, WRONG_PERSON, SCREENS, VOICEMAIL)

MAX_TURNS = 24  # a conversation that has not ended by then is hung up by the callee

_IDENTITY_Q = re.compile(r"\b(am i speaking (with|to)|is this|are you|speaking with)\b", re.IGNORECASE)
_READ_BACK = re.compile(r"\b(is that (right|correct)|right\?|correct\?|did i get that|have i got that)", re.IGNORECASE)
_GOOD_TIME = re.compile(r"\b(good time|now okay|is now ok|a few (quick )?(minutes|questions)\?|can we continue)",
                        re.IGNORECASE)
_GOODBYE = re.compile(r"\b(good ?bye|bye)\b", re.IGNORECASE)
_INTRODUCED = re.compile(r"\b(on behalf of|calling (for|from)|automated assistant)\b", re.IGNORECASE)
_WHEN = re.compile(r"\b(what (day and )?time|when would|better time)\b", re.IGNORECASE)

_TEXT_ANSWERS = {
    "current_title": "Account Executive",
    "current_employer": "Initech",
    "location": "Chicago",
}
_NUMBER_ANSWERS = {"weeks": "four weeks", "years": "six years", "people": "five people"}


def answer_for(item: CallField) -> str:
    """What this candidate says when asked `item`: spoken the way people speak, for the parser to read."""
    kind = item.type
    if kind == "percentage":
        return "It was a hundred and twelve percent"
    if kind == "date":
        return "In two weeks"
    if kind == "money":
        return "About a hundred and twenty thousand dollars"
    if kind == "number":
        unit = next((u for u in _NUMBER_ANSWERS if u in item.name or u in item.label), None)
        return _NUMBER_ANSWERS[unit] if unit else "Four"
    if kind == "yes_no":
        return "Yes, I would"
    if kind == "choice" and item.choices:
        return item.choices[0].replace("_", " ")
    return _TEXT_ANSWERS.get(item.name, "Happy to say: it is all in my resume")


@dataclass
class Callee:
    """One scripted callee for one call. `reply(agent_said)` is the next thing it says, or None to hang up."""

    persona: str
    candidate_name: str
    fields: list[CallField]
    turns: int = 0
    _answered: list[str] = field(default_factory=list)
    _asked: CallField | None = None
    _screened: bool = False
    _asked_for_time: bool = False

    @property
    def is_machine(self) -> bool:
        return self.persona == VOICEMAIL

    @property
    def first_name(self) -> str:
        return self.candidate_name.split()[0] if self.candidate_name.strip() else "me"

    def reply(self, agent_said: str) -> str | None:
        self.turns += 1
        if self.is_machine or self.turns > MAX_TURNS or not agent_said.strip():
            return None
        if _GOODBYE.search(agent_said) and not _IDENTITY_Q.search(agent_said):
            return None  # the agent said goodbye: nothing more to say
        if self.persona == WRONG_PERSON:
            return "No, I think you have the wrong number. There's nobody by that name here."
        if self.persona == SCREENS and not self._screened:
            self._screened = True
            return "Please state your name and the reason for your call."
        if self.persona == SCREENS and self.turns == 2 and _INTRODUCED.search(agent_said):
            return f"Oh, okay. Yes, this is {self.first_name}."
        if _IDENTITY_Q.search(agent_said) and not _READ_BACK.search(agent_said):
            return f"Yes, this is {self.first_name}, speaking."
        if self.persona == OPTS_OUT:
            return "Please take me off your list and don't call me again."
        if self.persona == CALLBACK:
            if self._asked_for_time or _WHEN.search(agent_said):
                return "Tomorrow at 3pm works."
            self._asked_for_time = True
            return "I'm driving right now. Can you call me back tomorrow at 3pm?"
        return self._cooperate(agent_said)

    def _cooperate(self, agent_said: str) -> str:
        if _READ_BACK.search(agent_said) and self._asked is not None:
            return "Yes, that's right."
        asked = self._recognise(agent_said)
        if asked is not None:
            self._asked = asked
            if asked.name not in self._answered:
                self._answered.append(asked.name)
            return answer_for(asked)
        if _GOOD_TIME.search(agent_said):
            return "Sure, go ahead."
        if _READ_BACK.search(agent_said):
            return "Yes."
        return "Sorry, could you say that again?"

    def _recognise(self, agent_said: str) -> CallField | None:
        """The field the agent asks about: its question or its label said; None when it asks none of them."""
        said = agent_said.lower()
        if _READ_BACK.search(agent_said):
            return None
        for item in self.fields:
            if (item.question and item.question.lower() in said) or item.label.lower() in said:
                return item
        return None


def callee_for(persona: str, *, candidate_name: str, fields: list[CallField]) -> Callee:
    if persona not in PERSONAS:
        raise ValueError(f"unknown persona {persona!r}; known: {', '.join(PERSONAS)}")
    return Callee(persona=persona, candidate_name=candidate_name, fields=list(fields))
