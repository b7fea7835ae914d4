"""The candidate call: asks for this call's missing fields and saves each one, confirmed.

Saving is a two-step protocol enforced in code, not just in the prompt: `record_field(...,
confirmed=False)` validates and returns the normalized value to read back; only a later
`record_field(..., confirmed=True)` with an answer that normalizes to that same read-back value, after a
callee turn that came *after* the read-back and says yes (agent.confirmation), is sent to the dialer. A model
that skips the read-back, or confirms in the same reply, or after a "no", is told so and nothing is saved.

Writes (answers, do-not-call, callbacks, the end of the call) run to completion even when the callee
interrupts: they cannot be interrupted once started, and run in tasks of their own that a cancelled tool
does not cancel. Every ending (goodbye, opt-out, voicemail, transfer) says its last line itself and hangs up,
so no ending depends on the model producing one more reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Callable, Coroutine
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

from livekit.agents import Agent, FlushSentinel, ModelSettings, RunContext, StopResponse, ToolError, function_tool, llm
from livekit.agents.voice import SpeechHandle

from dialer import spoken

from . import prompts
from .answering import AnswerAction
from .background import BackgroundTasks
from .call_turns import (
    GOODBYE,
    ReadBack,
    hold_the_floor,
    last_user_message,
    last_user_text,
    local_words,
    no_reply,
    parse_local,
    said_since_last_user_turn,
    zone_or_utc,
)
from .call_control import CallControl, TransferFailed
from .pacing import SilenceWatch
from .confirmation import confirms, confirms_identity
from .dialer_client import DialerAPIError, DialerClient, DialerRejected
from .schemas import CallContext, CallField, Outcome
from .validation import AnswerInvalid, normalize_answer

logger = logging.getLogger(__name__)

UNAVAILABLE = "The system could not save that just now. Apologise briefly and carry on with the next question."
T = TypeVar("T")


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
        self._voicemail_message = context.voicemail_message or (
            prompts.voicemail_message(context) if context.caller else voicemail_message
        )
        self._clock = clock
        self._zone = zone_or_utc(context.candidate.timezone)
        self._read_back: dict[str, ReadBack] = {}
        self._handled: set[str] = set()  # answered, unknown or declined during this call
        self._ended: Outcome | None = None
        # how the call ends, decided but not yet told: the dialer closes the room when told, so it is told after
        # the last line was heard (or when the session closes first)
        self._ending: tuple[Outcome, str] | None = None
        self._greeted = False
        self._voicemail: SpeechHandle | None = None
        self._closing = False  # a last line and a hang-up are under way
        self._identity_confirmed = False  # the callee said they are the candidate (after the greeting asked)
        self.silence: SilenceWatch | None = None  # set by the runner; its give-up is end_for_silence
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
        """Leave the voicemail message (once, however many times a machine is detected), then hang up."""
        if self._voicemail is None:
            self._closing = True
            self._voicemail = self.session.say(self._voicemail_message, allow_interruptions=False)
            self._background.spawn(self._after_voicemail(self._voicemail), name="voicemail-finish")
        return self._voicemail

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[llm.ChatChunk | str | FlushSentinel] | Coroutine[Any, Any, None]:
        """No reply before the greeting: a "Hello?" heard while the answering-machine detector decides must
        not produce a reply that the detector then releases on top of the greeting; nor one after the end."""
        if not self._greeted or self._closing:
            return no_reply()
        return Agent.default.llm_node(self, chat_ctx, tools, model_settings)

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

    def listening(self) -> bool:
        """Whether a silence means the callee has gone quiet on us (greeted, and the call is not ending)."""
        return self._greeted and not self._closing

    async def end_for_silence(self) -> None:
        """No answer to "Are you still there?": end politely, said and hung up without the model."""
        if self._closing:
            return
        self._closing = True
        self._ending = ("answered", "no response from the callee")
        await self._last_line_then_hang_up(prompts.silence_goodbye())

    async def finalize(self, reason: str) -> None:
        """Session closed: if the callee hung up mid-conversation, the dialer still hears about it."""
        if self.silence is not None:
            await self.silence.wait()
        await self._background.wait()
        if self._ended is None and self._ending is not None:
            await self._end(*self._ending)
        elif self._ended is None and self._greeted:
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
        self._require_identity()
        field = self._field_or_error(name)
        normalized = self._normalize(field, value)
        last = last_user_message(context)
        if not confirmed:
            self._read_back[field.name] = ReadBack(
                normalized, last.text_content if last else None, last.id if last else None
            )
            said = spoken.spoken_value(field.type, normalized, today=self._now_local().date())
            return (
                f'Read this back to the callee, in these words: {field.label}, "{said}". Ask if that is right, '
                f'then wait for their answer. Only if they confirm, call record_field again with value "{normalized}" '
                "and confirmed=true."
            )
        pending = self._read_back.get(field.name)
        if pending is None or pending.value != normalized:
            raise ToolError(
                f'Not saved: "{normalized}" has not been read back to the callee yet. '
                "Call record_field with confirmed=false first, read the value back, and wait for a yes."
            )
        if last is None or last.id == pending.after_turn:
            raise ToolError(
                "Not saved: the callee has not answered the read-back yet. Read the value back, ask if it is "
                "right, and wait for their answer before confirming."
            )
        if not confirms(last.text_content):
            raise ToolError(
                "Not saved: the callee did not clearly confirm the read-back. If they corrected it, call "
                "record_field with the corrected answer and confirmed=false; otherwise ask again for a yes or no."
            )
        hold_the_floor(context)
        try:
            saved = await self._durable(
                self._client.record_field(
                    self._context.call_id,
                    name=field.name,
                    value=normalized,
                    status="answered",
                    source_text=pending.source_text,
                ),
                name="save-field",
            )
        except DialerRejected as exc:
            raise ToolError(f"Not saved: {exc.detail}") from None
        except DialerAPIError:
            raise ToolError(UNAVAILABLE) from None
        self._read_back.pop(field.name, None)
        self._handled.add(field.name)
        return f'Saved {field.label} as "{saved.value or normalized}". {self._next_step(saved.missing_fields)}'

    @function_tool
    async def record_unknown(self, context: RunContext[None], name: str, status: Literal["unknown", "declined"]) -> str:
        """Record that the callee does not know a field, or would rather not say.

        Args:
            name: The field name exactly as listed in your instructions.
            status: "unknown" if they do not know; "declined" if they would rather not say.
        """
        self._require_identity()
        field = self._field_or_error(name)
        hold_the_floor(context)
        try:
            saved = await self._durable(
                self._client.record_field(
                    self._context.call_id,
                    name=field.name,
                    value=None,
                    status=status,
                    source_text=last_user_text(context),
                ),
                name="save-unknown",
            )
        except DialerRejected as exc:
            raise ToolError(f"Not recorded: {exc.detail}") from None
        except DialerAPIError:
            raise ToolError(UNAVAILABLE) from None
        self._read_back.pop(field.name, None)
        self._handled.add(field.name)
        return f"Noted that {field.label} is {status}. {self._next_step(saved.missing_fields)}"

    @function_tool
    async def do_not_call(self, context: RunContext[None], reason: str) -> None:
        """The callee asked never to be called again. Their number is blocked at once, and the call ends with a
        short apology and goodbye that the system says itself.

        Args:
            reason: A few words on why, in your own words.
        """
        hold_the_floor(context)
        try:
            await self._durable(self._client.do_not_call(self._context.call_id, reason=reason), name="do-not-call")
        except DialerAPIError:
            raise ToolError("The request could not be recorded; apologise, say a person will follow up.") from None
        await self._finish(context, "answered", "asked not to be called again", prompts.opt_out_goodbye())

    @function_tool
    async def schedule_callback(self, context: RunContext[None], local_time: str) -> str:
        """Book a call back at a time the callee chose.

        Args:
            local_time: Date and time in the callee's own time zone, formatted YYYY-MM-DDTHH:MM.
        """
        at_local = parse_local(local_time)
        hold_the_floor(context)
        try:
            booked = await self._durable(
                self._client.schedule_callback(self._context.call_id, at_local=at_local), name="callback"
            )
        except DialerRejected as exc:
            raise ToolError(f"That time cannot be booked: {exc.detail}. Ask for another time.") from None
        except DialerAPIError:
            raise ToolError("The callback could not be booked just now; say a person will follow up.") from None
        when = local_words(booked.local, now=self._now_local())
        return f"Callback booked for {when}. Tell them exactly that, say goodbye, then call end_call."

    @function_tool
    async def transfer_to_human(self, context: RunContext[None]) -> None:
        """Transfer the callee to a person. Tell them you are transferring them before calling this."""
        if not self._context.transfer_to or not self._control.can_transfer:
            raise ToolError("No one is available for a transfer on this call. Offer a callback instead.")
        hold_the_floor(context)
        await context.wait_for_playout()  # let "transferring you now" finish before the line changes
        # Told first: once the REFER goes through the phone leg leaves, and the dialer may hear of that before it
        # hears from us; a call that ends while a transfer is under way is transferred, never rung again by the bot.
        await self._report("transfer-started", self._client.transfer_started(self._context.call_id))
        try:
            await self._durable(self._control.transfer(self._context.transfer_to), name="transfer")
        except TransferFailed as exc:
            logger.warning("transfer failed (sip status %s)", exc.sip_status)
            await self._report("transfer-failed",
                               self._client.transfer_failed(self._context.call_id, sip_status=exc.sip_status))
            raise ToolError("The transfer did not go through. Apologise and offer a callback instead.") from None
        await self._end("transferred", "transferred to a person")
        self._background.spawn(self._close_session(), name="close-after-transfer")
        raise StopResponse()

    @function_tool
    async def end_call(self, context: RunContext[None], reason: str) -> None:
        """End the call. Use it when everything is done or the callee wants to stop. If you have not said
        goodbye in this reply, a short goodbye is said for you; then the line is hung up.

        Args:
            reason: A few words on why the call ends, e.g. "all fields collected".
        """
        hold_the_floor(context)
        await self._finish(context, "answered", reason, prompts.closing_goodbye())

    @function_tool
    async def confirm_identity(self, context: RunContext[None]) -> str:
        """The callee confirmed they are the candidate you asked for. Call it before anything else."""
        last = last_user_message(context)
        if not confirms_identity(last.text_content if last else None):
            raise ToolError(
                f"They have not said they are {self._context.candidate.name}. Ask again whether you are speaking "
                "with them; if it is someone else, call wrong_person."
            )
        self._identity_confirmed = True
        return prompts.identity_confirmed(self._context)

    @function_tool
    async def wrong_person(self, context: RunContext[None], reason: str) -> None:
        """Someone other than the candidate answered, or it is a wrong number. Ends the call politely; nothing is
        saved and the number is not called again.

        Args:
            reason: A few words, e.g. "wrong number" or "a family member answered".
        """
        hold_the_floor(context)
        self._identity_confirmed = False
        await self._finish(context, "wrong_person", reason, prompts.wrong_person_goodbye(self._context))

    @function_tool
    async def not_looking(
        self, context: RunContext[None], reason: Literal["no_longer_looking", "accepted_other_job"]
    ) -> None:
        """The candidate says they are no longer looking for a job, or took another job. Ends the call politely.

        Args:
            reason: "no_longer_looking" or "accepted_other_job".
        """
        hold_the_floor(context)
        await self._finish(context, reason, reason.replace("_", " "), prompts.not_looking_goodbye(reason))

    @function_tool
    async def voicemail_detected(self) -> None:
        """You reached a voicemail greeting or answering machine, not a person."""
        self.start_voicemail()
        raise StopResponse()

    # -- helpers -------------------------------------------------------------------------------

    def _now_local(self) -> datetime:
        return self._clock().astimezone(self._zone)

    def _require_identity(self) -> None:
        if not self._identity_confirmed:
            raise ToolError(
                f"Not yet: first make sure you are speaking with {self._context.candidate.name}. Ask, and call "
                "confirm_identity once they say yes (or wrong_person if it is someone else)."
            )

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
            return normalize_answer(field, raw, today=self._now_local().date(), currency=self._context.currency)
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

    async def _report(self, name: str, write: Coroutine[Any, Any, None]) -> None:
        """A write the call goes on without: one the dialer cannot take is logged, not raised."""
        try:
            await self._durable(write, name=name)
        except DialerAPIError as exc:
            logger.warning("could not record %s: %s", name, exc.status)

    async def _durable(self, write: Coroutine[Any, Any, T], *, name: str) -> T:
        """Run a write in a task of its own: if the tool is cancelled (an interruption past its time-out), the
        write still completes, and the job's end waits for it."""
        task: asyncio.Task[T] = self._background.spawn(write, name=name)
        return await asyncio.shield(task)

    async def _finish(self, context: RunContext[None], outcome: Outcome, reason: str, goodbye: str) -> None:
        """Say `goodbye` unless this reply already said one, record the end, hang up. Never asks the model."""
        self._closing = True
        self._ending = (outcome, reason)
        try:
            await context.wait_for_playout()  # what the model said before this tool has been heard (or cut)
        except RuntimeError:
            pass
        said = said_since_last_user_turn(context)
        line = None if GOODBYE.search(said) else goodbye
        self._background.spawn(self._last_line_then_hang_up(line), name="goodbye-hang-up")
        raise StopResponse()

    async def _last_line_then_hang_up(self, line: str | None) -> None:
        """The last line, then the end told to the dialer (which closes the room: told first, it cut the goodbye
        off after its first sentence on real LiveKit), then the hang-up."""
        if line is not None:
            await self.session.say(line, allow_interruptions=False)
        if self._ending is not None:
            await self._end(*self._ending)
        await self._hang_up()

    async def _after_voicemail(self, handle: SpeechHandle) -> None:
        await handle
        await self._end("voicemail", "answering machine")
        await self._hang_up()

    async def _hang_up(self) -> None:
        await self._control.hang_up()
        await self._close_session()

    async def _close_session(self) -> None:
        self.session.shutdown()
