"""LiveKit webhooks in: the callee joining, leaving and the room finishing move the call to its outcome.

Idempotent by event id (the id is recorded in the same transaction as its effect) and safe out of order: the
`results` functions never reopen an ended attempt.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from livekit.protocol.models import ParticipantInfo
from livekit.protocol.webhook import WebhookEvent
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialer import agent_dispatch
from dialer.clock import Clock
from dialer.engine.leg_status import LegStatuses
from dialer.lifecycle import LeaseRules
from dialer.lifecycle.calls import attempt_for_room, end_attempt, mark_answered
from dialer.lifecycle.sessions import end_voice_session, is_open_voice_session
from dialer.lifecycle.web_calls import open_reserved_web_call
from dialer.policy import RetryPolicy
from dialer.store.db import Database
from dialer.store.models import Attempt, Call, ReceivedWebhook
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger(__name__)

HANDLED = ("participant_joined", "participant_left", "room_finished")


def _event_time(event: WebhookEvent, clock: Clock) -> datetime:
    if event.created_at > 0:
        return datetime.fromtimestamp(event.created_at, tz=timezone.utc)
    return clock.now()


def _is_callee(participant: ParticipantInfo, call_id: str) -> bool:
    return agent_dispatch.is_callee(participant.identity, participant.attributes, call_id)


def _an_agent_came_or_went(event: WebhookEvent) -> bool:
    """An agent's arrival or departure changes no call and no session (the dial task waits for the agent itself), so
    it costs no transaction: two of a call's webhooks, every call."""
    return event.event in ("participant_joined", "participant_left") and (
        event.participant.kind == ParticipantInfo.Kind.AGENT
    )


def _a_phone_leg_before_its_answer(event: WebhookEvent) -> bool:
    """livekit-sip joins the callee's leg to the room as it dials (`sip.callStatus` dialing or ringing): the answer
    comes from the dial's own SIP response, so this event changes nothing, now or replayed later, and costs no
    transaction: one of a call's webhooks, every call."""
    participant = event.participant
    return (
        event.event == "participant_joined"
        and agent_dispatch.is_call_room(event.room.name)
        and participant.kind == ParticipantInfo.Kind.SIP
        and participant.attributes.get(agent_dispatch.ATTR_SIP_CALL_STATUS, "active") != "active"
    )


class LiveKitEventHandler:
    def __init__(
        self, *, db: Database, clock: Clock, retry: RetryPolicy, lease: LeaseRules, telephony: Telephony,
        legs: LegStatuses | None = None,
    ) -> None:
        """`legs`: where a SIP leg's departure leaves its last call status, for a dial task deciding what its ringing
        time-out was (shared with the dispatcher's placer)."""
        self._legs = legs
        self._db = db
        self._clock = clock
        self._retry = retry
        self._lease = lease
        self._telephony = telephony

    async def handle(self, event: WebhookEvent) -> str:
        """Returns what happened: applied, duplicate or ignored (for the response body and tests)."""
        if self._legs is not None:
            self._legs.note_departure(event)
        if event.event not in HANDLED or not event.room.name or _an_agent_came_or_went(event):
            return "ignored"
        if _a_phone_leg_before_its_answer(event):
            return "ignored"
        try:
            async with self._db.transaction() as session:
                if event.id:
                    session.add(ReceivedWebhook(event_id=event.id, event=event.event, received_at=self._clock.now()))
                    await session.flush()
                found = await attempt_for_room(session, event.room.name)
                if found is None and self._someone_joined(event):
                    at = _event_time(event, self._clock)
                    opened = await open_reserved_web_call(
                        session, room_name=event.room.name, now=at, lease_until=self._lease.answered_until(at)
                    )
                    if opened is not None:
                        found = await attempt_for_room(session, event.room.name)
                end_room = found is not None and await self._apply_to_call(session, event, *found)
        except IntegrityError:
            return "duplicate"
        if found is None:
            return await self._session_room(event)
        if end_room:
            # The callee hung up: close the room so the agent's job ends too.
            try:
                await self._telephony.end_room(event.room.name)
            except TelephonyUnavailable as exc:
                log.warning("could not close room %s: %s", event.room.name, exc.detail)
        return "applied"

    @staticmethod
    def _someone_joined(event: WebhookEvent) -> bool:
        """A person (not an agent) joined: a browser gap-filling call starts to exist now."""
        return event.event == "participant_joined" and event.participant.kind != ParticipantInfo.Kind.AGENT

    async def _apply_to_call(self, session: AsyncSession, event: WebhookEvent, attempt: Attempt, call: Call) -> bool:
        """Moves the call on; True when the room should be closed (the callee left)."""
        at = _event_time(event, self._clock)
        if event.event == "participant_joined" and _is_callee(event.participant, call.id):
            if event.participant.attributes.get(agent_dispatch.ATTR_SIP_CALL_STATUS, "active") == "active":
                mark_answered(attempt, call, at, self._lease)
            return False
        if attempt.answered_at is None:
            # Before an answer, the SIP response to our own request says how the attempt ended (busy, no answer…);
            # if that response is lost, the reconciler settles it. A webhook here would only guess.
            return False
        if event.event == "participant_left" and _is_callee(event.participant, call.id):
            return await end_attempt(session, attempt, call, at=at, outcome=None, sip_status_code=None, retry=self._retry)
        if event.event == "room_finished":
            await end_attempt(session, attempt, call, at=at, outcome=None, sip_status_code=None, retry=self._retry)
        return False

    async def _is_ours(self, room_name: str) -> bool:
        """A browser session the dialer opened, or a briefing-number caller's room (the dispatch rule's prefix)."""
        if room_name.startswith(agent_dispatch.BRIEFING_ROOM_PREFIX):
            return True
        async with self._db.transaction() as session:
            return await is_open_voice_session(session, room_name)

    async def _session_room(self, event: WebhookEvent) -> str:
        """Rooms that are not phone calls (briefings): the session ends when the last human leaves.

        The room is closed only when nobody is left in it. An agent still there is ending its own job (it closes
        its session when its participant leaves), and deleting the room under it cut that close short: on real
        LiveKit, livekit-agents then logged "failed to send session event" with a traceback for every briefing.
        LiveKit itself closes a room that holds only agents once its departure time-out passes.
        """
        if event.event == "room_finished":
            return "applied" if await self._session_ended(event.room.name) else "ignored"
        if event.event != "participant_left" or event.participant.kind == ParticipantInfo.Kind.AGENT:
            return "ignored"
        if not await self._is_ours(event.room.name):
            return "ignored"  # another application's room on the same LiveKit project: never ours to close
        try:
            others = [p for p in await self._telephony.participants(event.room.name)
                      if p.identity != event.participant.identity]
            if not any(p.kind != "agent" for p in others):
                if not others:
                    await self._telephony.end_room(event.room.name)
                await self._session_ended(event.room.name)
                return "applied"
        except TelephonyUnavailable as exc:
            log.warning("could not check room %s after a departure: %s", event.room.name, exc.detail)
        return "ignored"

    async def _session_ended(self, room_name: str) -> bool:
        async with self._db.transaction() as session:
            return await end_voice_session(session, room_name, self._clock.now())
