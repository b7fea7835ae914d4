"""The candidate call: asks for this call's missing fields and saves each one, confirmed.

Saving is a two-step protocol enforced in code, not just in the prompt: `record_field(...,
confirmed=False)` validates and returns the normalized value to read back; only a later
`record_field(..., confirmed=True)` with an answer that normalizes to that same read-back value is
sent to the dialer. A model that skips the read-back is told so and nothing is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from livekit.agents import Agent, RunContext, StopResponse, ToolError, function_tool, llm
from livekit.agents.voice import SpeechHandle

from . import prompts
from .answering import AnswerAction
from .background import BackgroundTasks
from .call_control import CallControl, TransferFailed
from .dialer_client import DialerAPIError, DialerClient, DialerRejected
from .schemas import CallContext, CallField, Outcome
from .validation import AnswerInvalid, normalize_answer

logger = logging.getLogger("dialer.agent")

UNAVAILABLE = "The system could not save that just now. Apologise briefly and carry on with the next question."


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class GapFillingAgent(Agent):
    def __init__(
        self,
        *,
        context: CallContext,
        client: DialerClient,
        call_control: CallControl,
        voicemail_message: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._context = context
        self._client = client
        self._control = call_control
        self._voicemail_message = context.voicemail_message or voicemail_message
        self._clock = clock
        self._zone = _zone(context.candidate.timezone)
        self._read_back: dict[str, tuple[str, str | None]] = {}  # name -> (value read back, source text)
        self._handled: set[str] = set()  # answered, unknown or declined during this call
        self._ended: Outcome | None = None
        self._greeted = False
        self._background = BackgroundTasks()
        self.finished_reason: str | None = None
        super().__init__(instructions=prompts.gap_filling_instructions(context, now_local=self._now_local()))

    # -- lifecycle, driven by the runner ------------------------------------------------------

    @property
    def context(self) -> CallContext:
        return self._context

    @property
    def outcome(self) -> Outcome | None:
        """What the dialer was told about this attempt, once it was told."""
        return self._ended

    def greet(self) -> SpeechHandle:
        """Say the fixed opening line; called once the callee has actually answered."""
        self._greeted = True
        return self.session.say(prompts.gap_filling_greeting(self._context))

    def start_voicemail(self) -> SpeechHandle:
        """Leave the voicemail message, then record the attempt as voicemail and hang up."""
        handle = self.session.say(self._voicemail_message, allow_interruptions=False)
        self._background.spawn(self._after_voicemail(handle), name="voicemail-finish")
        return handle

    async def answered(self, action: AnswerAction, *, detail: str = "") -> None:
        """Act on who answered (see agent.answering): greet a person, leave a message, or hang up."""
        if action == "greet":
            await self.greet()
        elif action == "voicemail":
            await self.start_voicemail()
        else:
            await self.hang_up_unanswered(f"answering machine {detail}".strip())

    async def hang_up_unanswered(self, reason: str) -> None:
        """A machine that takes no message (or an IVR): mark voicemail and hang up without speaking."""
        await self._end("voicemail", reason)
        await self._hang_up()

    async def finalize(self, reason: str) -> None:
        """Session closed: if the callee hung up mid-conversation, the dialer still hears about it."""
        await self._background.wait()
        if self._ended is None and self._greeted:
            await self._end("answered", reason)

    async def wait_background(self) -> None:
        await self._background.wait()

    # -- tools ----------------------------------------------------------------------------------

    @function_tool
    async def record_field(self, context: RunContext[None], name: str, value: str, confirmed: bool) -> str:
        """Check an answer, and save it once the callee has confirmed the read-back.

        Args:
            name: The field name exactly as listed in your instructions.
            value: The callee's answer.
            confirmed: false the first time: the answer is checked and the value to read back is returned. \
true only after the callee confirmed that read-back; then it is saved.
        """
        field = self._field_or_error(name)
        normalized = self._normalize(field, value)
        if not confirmed:
            self._read_back[field.name] = (normalized, _last_user_text(context))
            return (
                f'Read this back to the callee: {field.label}: "{normalized}". Ask if that is right. '
                "If they confirm, call record_field again with confirmed=true."
            )
        pending = self._read_back.get(field.name)
        if pending is None or pending[0] != normalized:
            raise ToolError(
                f'Not saved: "{normalized}" has not been read back to the callee yet. '
                "Call record_field with confirmed=false first, read the value back, and wait for a yes."
            )
        try:
            saved = await self._client.record_field(
                self._context.call_id, name=field.name, value=normalized, status="answered", source_text=pending[1]
            )
        except DialerRejected as exc:
            raise ToolError(f"Not saved: {exc.detail}") from None
        except DialerAPIError:
            raise ToolError(UNAVAILABLE) from None
        del self._read_back[field.name]
        self._handled.add(field.name)
        return f'Saved {field.label} as "{saved.value or normalized}". {self._next_step(saved.missing_fields)}'

    @function_tool
    async def record_unknown(self, context: RunContext[None], name: str, status: Literal["unknown", "declined"]) -> str:
        """Record that the callee does not know a field, or would rather not say.

        Args:
            name: The field name exactly as listed in your instructions.
            status: "unknown" if they do not know; "declined" if they would rather not say.
        """
        field = self._field_or_error(name)
        try:
            saved = await self._client.record_field(
                self._context.call_id, name=field.name, value=None, status=status, source_text=_last_user_text(context)
            )
        except DialerRejected as exc:
            raise ToolError(f"Not recorded: {exc.detail}") from None
        except DialerAPIError:
            raise ToolError(UNAVAILABLE) from None
        self._read_back.pop(field.name, None)
        self._handled.add(field.name)
        return f"Noted that {field.label} is {status}. {self._next_step(saved.missing_fields)}"

    @function_tool
    async def do_not_call(self, reason: str) -> str:
        """The callee asked never to be called again. Their number is blocked at once.

        Args:
            reason: A few words on why, in your own words.
        """
        try:
            await self._client.do_not_call(self._context.call_id, reason=reason)
        except DialerAPIError:
            raise ToolError("The request could not be recorded; apologise, say a person will follow up.") from None
        return "Done: they will not be called again. Apologise briefly for the call, say goodbye, then call end_call."

    @function_tool
    async def schedule_callback(self, local_time: str) -> str:
        """Book a call back at a time the callee chose.

        Args:
            local_time: Date and time in the callee's own time zone, formatted YYYY-MM-DDTHH:MM.
        """
        at_local = _parse_local(local_time)
        try:
            booked = await self._client.schedule_callback(self._context.call_id, at_local=at_local)
        except DialerRejected as exc:
            raise ToolError(f"That time cannot be booked: {exc.detail}. Ask for another time.") from None
        except DialerAPIError:
            raise ToolError("The callback could not be booked just now; say a person will follow up.") from None
        return f"Callback booked for {booked.local} their time. Tell them, say goodbye, then call end_call."

    @function_tool
    async def transfer_to_human(self, context: RunContext[None]) -> None:
        """Transfer the callee to a person. Tell them you are transferring them before calling this."""
        if not self._context.transfer_to or not self._control.can_transfer:
            raise ToolError("No one is available for a transfer on this call. Offer a callback instead.")
        await context.wait_for_playout()  # let "transferring you now" finish before the line changes
        try:
            await self._control.transfer(self._context.transfer_to)
        except TransferFailed as exc:
            logger.warning("transfer failed (sip status %s)", exc.sip_status)
            raise ToolError("The transfer did not go through. Apologise and offer a callback instead.") from None
        await self._end("answered", "transferred to a human")
        self._background.spawn(self._close_session(), name="close-after-transfer")
        raise StopResponse()

    @function_tool
    async def end_call(self, context: RunContext[None], reason: str) -> str:
        """End the call after saying goodbye. Use it when everything is done or the callee wants to stop.

        Args:
            reason: A few words on why the call ends, e.g. "all fields collected".
        """
        await self._end("answered", reason)
        def hang_up_after_goodbye(_: SpeechHandle) -> None:
            self._background.spawn(self._hang_up(), name="hang-up")

        context.speech_handle.add_done_callback(hang_up_after_goodbye)
        return "Say a short, warm goodbye now; the call ends right after it."

    @function_tool
    async def voicemail_detected(self) -> None:
        """You reached a voicemail greeting or answering machine, not a person."""
        self.start_voicemail()
        raise StopResponse()

    # -- helpers -------------------------------------------------------------------------------

    def _now_local(self) -> datetime:
        return self._clock().astimezone(self._zone)

    def _field_or_error(self, name: str) -> CallField:
        field = self._context.field(name.strip())
        if field is None:
            names = ", ".join(f.name for f in self._context.fields)
            raise ToolError(f'"{name}" is not one of the fields for this call. The fields are: {names}.')
        return field

    def _normalize(self, field: CallField, raw: str) -> str:
        if not raw.strip():
            raise ToolError("The answer is empty. Ask the question again.")
        try:
            return normalize_answer(field, raw, today=self._now_local().date())
        except AnswerInvalid as exc:
            raise ToolError(f"That answer does not fit {field.label}. {exc} Explain briefly and ask again.") from None

    def _next_step(self, missing_from_dialer: list[str]) -> str:
        asked = [f for f in self._context.fields if f.name not in self._handled]
        if missing_from_dialer:
            asked = [f for f in asked if f.name in missing_from_dialer]
        if not asked:
            return "Every field is done: thank them, say goodbye and call end_call."
        return "Still to ask: " + ", ".join(f.label for f in asked) + "."

    async def _end(self, outcome: Outcome, reason: str) -> None:
        """Tell the dialer how this attempt ended, exactly once."""
        if self._ended is not None:
            return
        self._ended = outcome
        self.finished_reason = reason
        try:
            await self._client.end_call(self._context.call_id, outcome=outcome, reason=reason)
        except DialerAPIError as exc:
            logger.warning("could not report the end of call %s: %s", self._context.call_id, exc.status)

    async def _after_voicemail(self, handle: SpeechHandle) -> None:
        await handle
        await self._end("voicemail", "answering machine")
        await self._hang_up()

    async def _hang_up(self) -> None:
        await self._control.hang_up()
        await self._close_session()

    async def _close_session(self) -> None:
        self.session.shutdown()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _parse_local(raw: str) -> str:
    """'2026-11-26T15:00' (seconds and a trailing zone are dropped: the dialer wants wall time)."""
    try:
        parsed = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        raise ToolError("Give the time as YYYY-MM-DDTHH:MM in the callee's time zone.") from None
    return parsed.replace(tzinfo=None, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def _last_user_text(context: RunContext[None]) -> str | None:
    """What the callee last said: stored with the answer as its source (sent to the dialer, never logged)."""
    for item in reversed(context.session.history.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item.text_content
    return None
