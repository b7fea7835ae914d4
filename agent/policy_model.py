"""A deterministic stand-in for the chat model on a gap-filling call: what to say or which tool to call next.

The sandbox's simulated conversations run the real agent (agent/gap_filling.py and its tools) with no model key;
this policy plays the model's part so the tools, the confirmation rule and the dialer's API are exercised for real.
It asks each missing field with its question, checks the answer with the dialer's own spoken-answer parser
(`normalize_answer`, dialer/fields/answers.py), reads it back in the dialer's spoken forms (dialer/spoken.py) and
confirms it only on the callee's own yes. It holds no call state the tools do not also enforce: a policy mistake is
refused by the agent's code as a real model's would be. Pure: no I/O; the LLM adapter is agent/policy_llm.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from dialer import spoken
from dialer.fields import FieldSpec, FieldType, FieldValueError, normalize

from .confirmation import confirms, confirms_identity
from .schemas import CallContext, CallField
from .validation import AnswerInvalid, normalize_answer


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """One model turn: words to say, then at most one tool call."""

    text: str = ""
    tool: ToolCall | None = None


_OPT_OUT = re.compile(r"\b(don'?t (ever )?call|stop calling|take me off|remove me|do not call|never call)\b")
_NOT_LOOKING = re.compile(r"\b(no longer looking|not looking|stopped looking)\b")
_OTHER_JOB = re.compile(r"\b(took|accepted|found|got|started) (another|a new|a different) (job|role|position|offer)\b")
_CALLBACK = re.compile(r"\b(call (me )?(back )?(later|tomorrow|on|at|next|this)|another time|better time)\b")
_NOT_NOW = re.compile(r"\b(not a good time|bad time|busy right now|driving|in a meeting|can'?t talk)\b")
_SCREENING = re.compile(r"\b(state your name|reason for (your|the) call|who'?s calling|who is calling|who is this|what is this about|what'?s this about)\b")
_ROBOT = re.compile(r"\b(robot|a real person|human|automated|a machine|an ai)\b")
_WRONG = re.compile(r"\b(wrong number|no one (here )?by that name|not here|this is (his|her|their) |doesn'?t live|no,? (this|it) is)")
_NO = re.compile(r"^\s*(no|nope|nah)\b")
_UNKNOWN = re.compile(r"\b(don'?t know|not sure|no idea|can'?t remember)\b")
_DECLINED = re.compile(r"\b(rather not|prefer not|not comfortable|won'?t say|none of your business)\b")
_BYE = re.compile(r"\b(good ?bye|bye|hang up|have to go|got to go|gotta go)\b")
_CLOCK = re.compile(r"\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?(?=\W|$)")
_DAY = re.compile(r"\b(today|tomorrow|(?:next |this |on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b")
_LEADING_NO = re.compile(r"^\s*(?:(?:no|nope|sorry|actually|wait)\b[,.!]?\s*)+", re.IGNORECASE)
_JUST_NO = re.compile(r"^(that'?s |it'?s |that is )?(wrong|not right|incorrect|not it|not correct|no)\W*$")
_BOOKED = re.compile(r"Callback booked for (.+?)\. Tell them")


def _lower(text: str | None) -> str:
    return (text or "").lower().replace("\u2019", "'")


def question_for(item: CallField) -> str:
    return item.question or f"What is your {item.label}?"


def callback_time(text: str, *, today: date) -> str | None:
    """'tomorrow at 3pm' → '2026-11-26T15:00' (the callee's wall time); None when no day and hour are said.
    An hour from 1 to 7 said without a.m./p.m. is taken as the afternoon (nobody books a call at 3 in the night)."""
    spoken_text = _lower(text)
    day_match = _DAY.search(spoken_text)
    clock = _CLOCK.search(spoken_text[day_match.end():] if day_match else spoken_text)
    if day_match is None or clock is None:
        return None
    try:
        day = normalize(FieldSpec(name="day", label="day", type=FieldType.DATE), day_match.group(1), today=today)
    except FieldValueError:
        return None
    hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
    suffix = (clock.group(3) or "").replace(".", "")
    if suffix == "pm" and hour < 12 or not suffix and 1 <= hour <= 7:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{day}T{hour:02d}:{minute:02d}"


class GapFillingPolicy:
    """The next move of a polite, rule-following model, from the last thing it saw (a callee turn or a tool result).

    `today` is the callee's local date (as the agent's tools see it), so a read-back matches what the tool saves.
    """

    def __init__(self, context: CallContext, *, today: Callable[[], date]) -> None:
        self._context = context
        self._today = today
        self._first_name = context.candidate.name.split()[0] if context.candidate.name.strip() else "there"
        self._identified = False
        self._asked_good_time = False
        self._asking: CallField | None = None
        self._pending: tuple[CallField, str] | None = None  # read back, waiting for the callee's yes
        self._done: set[str] = set()

    def on_start(self) -> Reply:
        """Nothing to say before the callee speaks: the greeting is the agent's own fixed line."""
        return Reply()

    # -- a callee turn ------------------------------------------------------------------------------

    def on_callee(self, text: str) -> Reply:
        said = _lower(text)
        if _OPT_OUT.search(said):
            return Reply(tool=ToolCall("do_not_call", {"reason": "asked not to be called again"}))
        if self._identified and _OTHER_JOB.search(said):
            return Reply(tool=ToolCall("not_looking", {"reason": "accepted_other_job"}))
        if self._identified and _NOT_LOOKING.search(said):
            return Reply(tool=ToolCall("not_looking", {"reason": "no_longer_looking"}))
        if self._identified and (_CALLBACK.search(said) or _DAY.search(said) and _CLOCK.search(said)):
            return self._callback(text)
        if _ROBOT.search(said) or _SCREENING.search(said):
            return Reply(text=self._who_we_are())
        if not self._identified:
            return self._identify(said)
        if _BYE.search(said):
            return Reply(tool=ToolCall("end_call", {"reason": "the callee had to go"}))
        if self._pending is not None:
            return self._confirm(text)
        if self._asking is not None:
            return self._answer(self._asking, text)
        if self._asked_good_time and (_NOT_NOW.search(said) or _NO.search(said)):
            return Reply(text="No problem. When would be a better time for me to call you back?")
        return self._ask_next()

    def _identify(self, said: str) -> Reply:
        if _WRONG.search(said) or _NO.search(said):
            return Reply(tool=ToolCall("wrong_person", {"reason": "someone else answered"}))
        if confirms_identity(said):
            return Reply(tool=ToolCall("confirm_identity"))
        return Reply(text=f"Sorry, am I speaking with {self._context.candidate.name}?")

    def _who_we_are(self) -> str:
        caller = self._context.caller
        company = caller.company if caller else "the recruiting team"
        recruiter = f"{caller.recruiter_name} at " if caller and caller.recruiter_name else ""
        line = f"I'm an automated assistant, calling on behalf of {recruiter}{company}."
        if caller and caller.callback_number:
            line += f" You can reach a person on {spoken.phone_words(caller.callback_number)}."
        if not self._identified:
            return f"{line} Am I speaking with {self._context.candidate.name}?"
        return f"{line} {self._question_again()}"

    def _question_again(self) -> str:
        if self._pending is not None:
            item, value = self._pending
            return self._read_back_line(item, value)
        if self._asking is not None:
            return question_for(self._asking)
        return "Is now a good time for a few quick questions?"

    def _confirm(self, text: str) -> Reply:
        item, value = self._pending or (None, "")
        assert item is not None
        if confirms(text):
            return Reply(tool=ToolCall("record_field", {"name": item.name, "value": value, "confirmed": True}))
        self._pending = None
        corrected = _LEADING_NO.sub("", text).strip()
        if corrected and not _JUST_NO.match(_lower(corrected)) and self._parses(item, corrected):
            return self._answer(item, corrected)
        self._asking = item
        return Reply(text=f"Sorry about that. {question_for(item)}")

    def _parses(self, item: CallField, text: str) -> bool:
        try:
            self._extract(item, text)
        except AnswerInvalid:
            return False
        return True

    def _normalize(self, item: CallField, text: str) -> str:
        return normalize_answer(item, text, today=self._today(), currency=self._context.currency)

    def _extract(self, item: CallField, text: str) -> str:
        """The answer in what was said, as a model would pick it out: the longest tail of the words that the
        parser reads ("It was a hundred and twelve percent" → "a hundred and twelve percent"); AnswerInvalid with
        the parser's own hint when no tail reads."""
        words = text.strip().rstrip(".!?").split()
        first_error: AnswerInvalid | None = None
        for start in range(len(words)):
            tail = " ".join(words[start:])
            try:
                self._normalize(item, tail)
            except AnswerInvalid as exc:
                first_error = first_error or exc
                continue
            return tail
        raise first_error or AnswerInvalid(f"I didn't catch the {item.label}.")

    def _answer(self, item: CallField, text: str) -> Reply:
        said = _lower(text)
        if _DECLINED.search(said):
            return Reply(tool=ToolCall("record_unknown", {"name": item.name, "status": "declined"}))
        if _UNKNOWN.search(said):
            return Reply(tool=ToolCall("record_unknown", {"name": item.name, "status": "unknown"}))
        try:
            answer = self._extract(item, text)
        except AnswerInvalid as exc:
            self._asking = item
            return Reply(text=f"{exc} {question_for(item)}")
        return Reply(tool=ToolCall("record_field", {"name": item.name, "value": answer, "confirmed": False}))

    def _callback(self, text: str) -> Reply:
        at = callback_time(text, today=self._today())
        if at is None:
            return Reply(text="Of course. What day and time would suit you, in your time?")
        return Reply(tool=ToolCall("schedule_callback", {"local_time": at}))

    def _ask_next(self) -> Reply:
        remaining = [f for f in self._context.fields if f.name not in self._done]
        if not remaining:
            return Reply(
                text=f"That's everything, thank you {self._first_name}. Goodbye!",
                tool=ToolCall("end_call", {"reason": "all fields collected"}),
            )
        self._asking = remaining[0]
        return Reply(text=question_for(remaining[0]))

    def _read_back_line(self, item: CallField, value: str) -> str:
        words = spoken.spoken_value(item.type, value, today=self._today())
        return f"{item.label[:1].upper()}{item.label[1:]}: {words}. Is that right?"

    # -- a tool's result --------------------------------------------------------------------------

    def on_tool_result(self, tool: str, args: dict[str, object], output: str, *, is_error: bool) -> Reply:
        if tool == "confirm_identity":
            if is_error:
                return Reply(text=f"Sorry, am I speaking with {self._context.candidate.name}?")
            self._identified = True
            return self._introduce()
        if tool == "record_field":
            return self._after_record(args, output, is_error=is_error)
        if tool == "record_unknown":
            if not is_error:
                self._done.add(str(args.get("name")))
                self._asking = None
            return self._ask_next() if not is_error else Reply(text="Sorry, let's move on.")
        if tool == "schedule_callback":
            booked = _BOOKED.search(output)
            if is_error or booked is None:
                return Reply(text="Sorry, I can't book that time. What other day and time would suit you?")
            return Reply(text=f"Sure, I'll call you {booked.group(1)}. Goodbye!",
                         tool=ToolCall("end_call", {"reason": "callback booked"}))
        return Reply(text="Sorry, something went wrong on my side." if is_error else "")

    def _introduce(self) -> Reply:
        caller = self._context.caller
        role = f" for the {caller.role} role" if caller and caller.role else ""
        company = caller.company if caller else "the recruiting team"
        count = len(self._context.fields)
        if count == 0:
            return Reply(text=f"Thank you, {self._first_name}; your application is already complete. Goodbye!",
                         tool=ToolCall("end_call", {"reason": "nothing to ask"}))
        ask = "one quick question" if count == 1 else f"{spoken.number_words(count)} quick questions"
        self._asked_good_time = True
        return Reply(text=f"Thanks, {self._first_name}. I'm following up on your application{role} with {company}; "
                          f"I have {ask} to complete your profile. Is now a good time?")

    def _after_record(self, args: dict[str, object], output: str, *, is_error: bool) -> Reply:
        item = self._context.field(str(args.get("name", "")))
        if item is None:
            return self._ask_next()
        if is_error:
            self._pending = None
            self._asking = item
            return Reply(text=f"Sorry, let me ask that again. {question_for(item)}")
        if args.get("confirmed"):
            self._pending = None
            self._asking = None
            self._done.add(item.name)
            return self._ask_next()
        value = self._normalize(item, str(args.get("value", "")))
        self._pending = (item, value)
        self._asking = None
        return Reply(text=self._read_back_line(item, value))
