"""Outbound SIP calls: the life of one simulated call, in LiveKit's order of events.

As with a real LiveKit SIP bridge, the SIP participant joins the room as soon as the call is placed
(``sip.callStatus=dialing``, so a ``participant_joined`` webhook arrives while the phone rings and a
reconciler can see the call), goes ``ringing`` when the phone rings, becomes ``active`` when answered,
and leaves with LiveKit's disconnect reason: ``USER_REJECTED`` (busy, declined), ``USER_UNAVAILABLE``
(no answer, invalid number, ringing timeout, no response), or ``CLIENT_INITIATED`` (carrier 5xx,
hang-up, max call duration, transfer), as the conformance suite (tests/stage/conformance) shows real
LiveKit doing. What happens is chosen by the number (see ``numbers.py``); timing uses the event loop's
timers, timestamps use the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from livekit.protocol.models import (
    DisconnectReason,
    ParticipantInfo,
    ParticipantPermission,
    TrackInfo,
    TrackSource,
    TrackType,
)
from livekit.protocol.sip import CreateSIPParticipantRequest, SIPOutboundTrunkInfo

from .errors import TwirpError, disconnect_reason_for_sip, invite_transaction_timed_out, ringing_timed_out, sip_call_failed
from .ids import new_id
from dialer.phones import mask_phone

from .numbers import SandboxOutcome, outcome_for
from .state import RoomRegistry

logger = logging.getLogger(__name__)

DEFAULT_RINGING_TIMEOUT_S = 30.0
INVITE_TRANSACTION_TIMEOUT_S = 32.0  # SIP timer B (64 x T1): an INVITE nobody answers fails after this

ATTR_CALL_STATUS = "sip.callStatus"
ATTR_CALL_ID = "sip.callID"
ATTR_CALL_ID_FULL = "sip.callIDFull"
ATTR_CALL_TAG = "sip.callTag"
ATTR_HOSTNAME = "sip.hostname"
ATTR_PHONE_NUMBER = "sip.phoneNumber"
ATTR_TRUNK_ID = "sip.trunkID"
ATTR_TRUNK_NUMBER = "sip.trunkPhoneNumber"
ATTR_ANSWERED_BY = "sandbox.answeredBy"

DIALING, RINGING, ACTIVE, HANGUP, FAILED = "dialing", "ringing", "active", "hangup", "failed"
CallListener = Callable[["SandboxCall"], None]


def _seconds(duration: object) -> float:
    return float(getattr(duration, "seconds")) + float(getattr(duration, "nanos")) / 1e9


@dataclass
class SandboxCall:
    """One placed call, inspectable by tests (``sandbox.calls``)."""

    call_id: str
    room_name: str
    identity: str
    participant_sid: str
    phone_number: str = field(repr=False)  # kept out of reprs: numbers never reach log text
    trunk_id: str
    outcome: SandboxOutcome
    request: CreateSIPParticipantRequest = field(repr=False)
    placed_at: float
    status: str = DIALING
    answered_at: float | None = None
    ended_at: float | None = None
    sip_status_code: int | None = None
    disconnect_reason: DisconnectReason = DisconnectReason.UNKNOWN_REASON
    transferred_to: str | None = None
    settled: asyncio.Future[TwirpError | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.status in (DIALING, ACTIVE)


class CallManager:
    """Places calls into rooms of a ``RoomRegistry`` and plays each number's outcome."""

    def __init__(self, *, registry: RoomRegistry, clock: Callable[[], float], ring_delay_s: float,
                 talk_time_scale: float, auto_hangup: bool, changed: Callable[[], None]) -> None:
        self._registry = registry
        self._clock = clock
        self._ring_delay_s = ring_delay_s
        self._talk_time_scale = talk_time_scale
        self._auto_hangup = auto_hangup
        self._changed = changed
        self.calls: dict[str, SandboxCall] = {}
        self._answered_listeners: list[CallListener] = []
        self._ended_listeners: list[CallListener] = []
        registry.on_participant_left(self._participant_left)

    def on_answered(self, listener: CallListener) -> None:
        """`listener(call)` once a call is answered (after its CreateSIPParticipant has its answer)."""
        self._answered_listeners.append(listener)

    def on_ended(self, listener: CallListener) -> None:
        """`listener(call)` once an answered call's callee has left, whoever ended it."""
        self._ended_listeners.append(listener)

    def _notify(self, listeners: list[CallListener], call: SandboxCall) -> None:
        for listener in list(listeners):
            listener(call)

    def dial(self, request: CreateSIPParticipantRequest, trunk: SIPOutboundTrunkInfo | None) -> SandboxCall:
        """Places the call: the SIP participant joins (dialing) and the outcome is scheduled."""
        number = request.sip_call_to
        call_id = new_id("SCL_")
        trunk_id = trunk.sip_trunk_id if trunk is not None else ""
        caller_number = request.sip_number or (trunk.numbers[0] if trunk is not None and trunk.numbers else "")
        attributes = dict(request.participant_attributes)
        attributes.update({
            ATTR_CALL_STATUS: DIALING, ATTR_CALL_ID: call_id,
            ATTR_CALL_ID_FULL: secrets.token_urlsafe(20),  # the SIP Call-ID, and the far end's dialog tag
            ATTR_CALL_TAG: secrets.token_hex(6),
        })
        if trunk is not None and trunk.address:
            attributes[ATTR_HOSTNAME] = trunk.address
        if trunk_id:
            attributes[ATTR_TRUNK_ID] = trunk_id
        if caller_number:
            attributes[ATTR_TRUNK_NUMBER] = caller_number
        if not request.hide_phone_number:
            attributes[ATTR_PHONE_NUMBER] = number
        info = ParticipantInfo(
            identity=request.participant_identity or f"sip_{number}",
            name=request.participant_name,
            metadata=request.participant_metadata,
            kind=ParticipantInfo.Kind.SIP,
            attributes=attributes,
            is_publisher=True,
            permission=ParticipantPermission(can_subscribe=True, can_publish=True, can_publish_data=True),
        )
        self._registry.ensure_room(request.room_name)
        self._registry.join(request.room_name, info)
        # livekit-sip publishes the callee's audio as it joins, before any answer (named after the participant,
        # Opus); it is unpublished as the participant leaves, answered or not (seen on the stage)
        self._registry.publish_track(request.room_name, info.identity, TrackInfo(
            name=info.identity, type=TrackType.AUDIO, source=TrackSource.MICROPHONE, mime_type="audio/opus",
        ))
        call = SandboxCall(
            call_id=call_id, room_name=request.room_name, identity=info.identity, participant_sid=info.sid,
            phone_number=number, trunk_id=trunk_id, outcome=outcome_for(number), request=request,
            placed_at=self._clock(),
        )
        self.calls[call_id] = call
        logger.info("sandbox call %s to %s placed (outcome: %s)", call_id, mask_phone(number), call.outcome.label)
        if call.outcome.rings:  # the phone's 180 Ringing, straight after the INVITE
            self._registry.set_attributes(call.room_name, call.identity, {ATTR_CALL_STATUS: RINGING})
        self._schedule_settle(call)
        self._changed()
        return call

    def _schedule_settle(self, call: SandboxCall) -> None:
        ringing_timeout = (
            _seconds(call.request.ringing_timeout) if call.request.HasField("ringing_timeout")
            else DEFAULT_RINGING_TIMEOUT_S
        ) or DEFAULT_RINGING_TIMEOUT_S
        loop = asyncio.get_running_loop()
        if not call.outcome.settles:
            if call.outcome.rings or ringing_timeout <= INVITE_TRANSACTION_TIMEOUT_S:
                call.timers.append(loop.call_later(ringing_timeout, self._ringing_timeout, call))
            else:
                call.timers.append(loop.call_later(INVITE_TRANSACTION_TIMEOUT_S, self._no_response, call))
            return
        delay = self._ring_delay_s if call.outcome.rings else 0.0
        if delay > ringing_timeout:
            call.timers.append(loop.call_later(ringing_timeout, self._ringing_timeout, call))
        else:
            call.timers.append(loop.call_later(delay, self._settle, call))

    def _no_response(self, call: SandboxCall) -> None:
        if call.status == DIALING:
            self._fail(call, DisconnectReason.USER_UNAVAILABLE, invite_transaction_timed_out())

    def _settle(self, call: SandboxCall) -> None:
        if call.status != DIALING:
            return
        self._cancel_timers(call)  # the ring timer has fired; timers now hold only what is still pending
        outcome = call.outcome
        if not outcome.answered:
            code, status = outcome.sip_status_code or 500, outcome.sip_status or "Server Internal Error"
            call.sip_status_code = code
            self._fail(call, disconnect_reason_for_sip(code), sip_call_failed(code, status))
            return
        call.status = ACTIVE
        call.answered_at = self._clock()
        changes = {ATTR_CALL_STATUS: ACTIVE}
        if outcome.answered_by:
            changes[ATTR_ANSWERED_BY] = outcome.answered_by
        self._registry.set_attributes(call.room_name, call.identity, changes)
        loop = asyncio.get_running_loop()
        if self._auto_hangup and outcome.talk_time_s is not None:
            call.timers.append(loop.call_later(outcome.talk_time_s * self._talk_time_scale, self._end, call))
        # No max_call_duration timer: livekit/sip v1.8.0 bounds only the dialling with it (the context it sets
        # ends once the call is answered), so an answered call runs past it (tests/stage/conformance).
        logger.info("sandbox call %s answered (%s)", call.call_id, outcome.answered_by)
        self._resolve(call, None)
        self._notify(self._answered_listeners, call)

    def _ringing_timeout(self, call: SandboxCall) -> None:
        if call.status == DIALING:
            self._fail(call, DisconnectReason.USER_UNAVAILABLE, ringing_timed_out())

    def _fail(self, call: SandboxCall, reason: DisconnectReason, error: TwirpError) -> None:
        call.status = FAILED
        call.disconnect_reason = reason
        call.ended_at = self._clock()
        logger.info("sandbox call %s failed: %s", call.call_id, error.msg)
        self._resolve(call, error)
        self._leave(call, reason, {})

    def _end(self, call: SandboxCall, reason: DisconnectReason = DisconnectReason.CLIENT_INITIATED) -> None:
        """The call ends after being answered: the callee hung up, or the call ran out of time."""
        if call.status != ACTIVE:
            return
        call.status = HANGUP
        call.disconnect_reason = reason
        call.ended_at = self._clock()
        logger.info("sandbox call %s ended", call.call_id)
        self._leave(call, reason, {ATTR_CALL_STATUS: HANGUP})
        self._notify(self._ended_listeners, call)

    def _leave(self, call: SandboxCall, reason: DisconnectReason, attributes: dict[str, str]) -> None:
        self._cancel_timers(call)
        participants = self._registry.participants.get(call.room_name, {})
        current = participants.get(call.identity)
        if current is not None and current.sid == call.participant_sid:
            self._registry.leave(call.room_name, call.identity, reason, attributes=attributes)
        self._changed()

    def _resolve(self, call: SandboxCall, error: TwirpError | None) -> None:
        if not call.settled.done():
            call.settled.set_result(error)
        self._changed()

    @staticmethod
    def _cancel_timers(call: SandboxCall) -> None:
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()

    def _participant_left(self, room_name: str, info: ParticipantInfo) -> None:
        """Someone else removed the SIP participant (RemoveParticipant, DeleteRoom, duplicate identity)."""
        for call in self.calls.values():
            if call.participant_sid == info.sid and call.live:
                was_dialing = call.status == DIALING
                call.status = FAILED if was_dialing else HANGUP
                call.disconnect_reason = info.disconnect_reason
                call.ended_at = self._clock()
                self._cancel_timers(call)
                if was_dialing:
                    self._resolve(call, TwirpError("canceled", "the SIP participant was removed before answering"))
                else:
                    self._notify(self._ended_listeners, call)
                self._changed()

    # callee-side actions

    def hang_up(self, room_name: str) -> list[SandboxCall]:
        """The callee hangs up every answered call in the room."""
        active = [c for c in self.calls.values() if c.room_name == room_name and c.status == ACTIVE]
        if not active:
            raise LookupError("no answered call in that room")
        for call in active:
            self._end(call)
        return active

    def find_active(self, room_name: str, identity: str) -> SandboxCall | None:
        for call in self.calls.values():
            if call.room_name == room_name and call.identity == identity and call.status == ACTIVE:
                return call
        return None

    def end_after_transfer(self, call: SandboxCall) -> None:
        self._end(call)

    def shutdown(self) -> None:
        """Stops every timer and releases requests still waiting for an answer."""
        for call in self.calls.values():
            self._cancel_timers(call)
            if not call.settled.done():
                call.settled.set_result(TwirpError("unavailable", "sandbox is shutting down"))
