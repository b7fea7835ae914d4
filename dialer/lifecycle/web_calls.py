"""Browser gap-filling calls: a token only reserves one (its id, room and candidate, on the voice session); the call
row is written when someone actually joins: the browser's participant_joined webhook, or the agent's first request
with the call's credential, whichever comes first. An unused token so leaves no call behind: nothing `in_call`,
nothing that blocks `POST /api/calls`, nothing in the metrics.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.fields import missing_fields
from dialer.lifecycle import counts
from dialer.lifecycle.sessions import open_voice_session
from dialer.lifecycle.states import CallState
from dialer.store.ids import new_id
from dialer.store.models import Attempt, Call, Candidate, VoiceSession

WEB_TRUNK = "web"  # web calls never count against a SIP trunk's limits


def reserve_web_call(session: AsyncSession, *, room_name: str, call_id: str, candidate_id: str, now: datetime) -> None:
    """The token's half: the session knows which call it is for; no call row yet."""
    open_voice_session(session, room_name=room_name, mode="gap_filling", now=now, pending_call_id=call_id,
                       candidate_id=candidate_id)


async def open_reserved_web_call(
    session: AsyncSession, *, now: datetime, lease_until: datetime, room_name: str | None = None, call_id: str | None = None
) -> str | None:
    """Writes the reserved call (in_call, its one attempt) once, on the first join; the call id, or None when
    nothing is reserved under that room or id, or the session already ended."""
    query = select(VoiceSession).with_for_update()
    query = query.where(VoiceSession.room_name == room_name) if room_name else query.where(VoiceSession.pending_call_id == call_id)
    voice = await session.scalar(query)
    if voice is None or voice.pending_call_id is None:
        return None
    if voice.call_id is not None:
        return voice.call_id
    if voice.ended_at is not None or voice.candidate_id is None:
        return None
    candidate = await session.get(Candidate, voice.candidate_id)
    if candidate is None:
        return None
    await open_web_call(
        session,
        call_id=voice.pending_call_id,
        attempt_id=new_id("att"),
        candidate_id=candidate.id,
        room_name=voice.room_name,
        fields_to_ask=missing_fields(candidate.required_fields, candidate.fields),
        now=now,
        lease_until=lease_until,
    )
    voice.call_id = voice.pending_call_id
    return voice.call_id


async def open_web_call(
    session: AsyncSession,
    *,
    call_id: str,
    attempt_id: str,
    candidate_id: str,
    room_name: str,
    fields_to_ask: list[str],
    now: datetime,
    lease_until: datetime,
) -> None:
    """A browser call: someone joined, so it starts `in_call` with its one attempt (answered on the join)."""
    session.add(
        Call(
            id=call_id,
            candidate_id=candidate_id,
            trunk_id=WEB_TRUNK,
            state=CallState.IN_CALL.value,
            fields_to_ask=fields_to_ask,
            max_attempts=1,
            attempts_made=1,
            room_name=room_name,
            current_attempt_id=attempt_id,
            source="web",
            lease_expires_at=lease_until,
            created_at=now,
            updated_at=now,
        )
    )
    counts.added(session, CallState.IN_CALL.value)
    await session.flush()
    session.add(Attempt(id=attempt_id, call_id=call_id, number=1, started_at=now, report_sent=False))
    await session.flush()
