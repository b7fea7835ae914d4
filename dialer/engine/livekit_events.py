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

from dialer.clock import Clock
from dialer.engine.results import attempt_for_room, end_attempt, mark_answered
from dialer.policy import Outcome, RetryPolicy
from dialer.store.db import Database
from dialer.store.models import ReceivedWebhook
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger("dialer.webhooks.livekit")

HANDLED = ("participant_joined", "participant_left", "room_finished")


def _event_time(event: WebhookEvent, clock: Clock) -> datetime:
    if event.created_at > 0:
        return datetime.fromtimestamp(event.created_at, tz=timezone.utc)
    return clock.now()


def _is_callee(participant: ParticipantInfo, call_id: str) -> bool:
    return participant.identity == f"callee-{call_id}" or participant.attributes.get("dialer.call_id") == call_id


class LiveKitEventHandler:
    def __init__(self, *, db: Database, clock: Clock, retry: RetryPolicy, telephony: Telephony) -> None:
        self._db = db
        self._clock = clock
        self._retry = retry
        self._telephony = telephony

    async def handle(self, event: WebhookEvent) -> str:
        """Returns what happened: applied, duplicate or ignored (for the response body and tests)."""
        if event.event not in HANDLED or not event.room.name:
            return "ignored"
        end_room = False
        try:
            async with self._db.transaction() as session:
                if event.id:
                    session.add(ReceivedWebhook(event_id=event.id, event=event.event, received_at=self._clock.now()))
                    await session.flush()
                found = await attempt_for_room(session, event.room.name)
                if found is None:
                    return "ignored"
                attempt, call = found
                at = _event_time(event, self._clock)
                if event.event == "participant_joined" and _is_callee(event.participant, call.id):
                    if event.participant.attributes.get("sip.callStatus", "active") == "active":
                        mark_answered(attempt, call, at)
                elif event.event == "participant_left" and _is_callee(event.participant, call.id):
                    outcome = None if attempt.answered_at else Outcome.NO_ANSWER
                    end_room = end_attempt(session, attempt, call, at=at, outcome=outcome, sip_status_code=None, retry=self._retry)
                elif event.event == "room_finished":
                    outcome = None if attempt.answered_at else Outcome.NO_ANSWER
                    end_attempt(session, attempt, call, at=at, outcome=outcome, sip_status_code=None, retry=self._retry)
        except IntegrityError:
            return "duplicate"
        if end_room:
            # The callee hung up: close the room so the agent's job ends too.
            try:
                await self._telephony.end_room(event.room.name)
            except TelephonyUnavailable as exc:
                log.warning("could not close room %s: %s", event.room.name, exc.detail)
        return "applied"
