"""A browser (or inbound SIP) session's room: opened when a token is issued, ended when its room closes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.store.models import VoiceSession


def open_voice_session(
    session: AsyncSession,
    *,
    room_name: str,
    mode: str,
    now: datetime,
    call_id: str | None = None,
    interview_id: str | None = None,
    pending_call_id: str | None = None,
    candidate_id: str | None = None,
) -> None:
    session.add(VoiceSession(room_name=room_name, mode=mode, channel="web", call_id=call_id, interview_id=interview_id,
                             pending_call_id=pending_call_id, candidate_id=candidate_id, created_at=now))


def reopen_voice_session(voice: VoiceSession) -> None:
    """A briefing room is the interview's: joining it again opens the same session."""
    voice.ended_at = None


async def end_voice_session(session: AsyncSession, room_name: str, at: datetime) -> bool:
    """Record the end of a session's room; True if it was an open session."""
    voice = await session.get(VoiceSession, room_name, with_for_update=True)
    if voice is None or voice.ended_at is not None:
        return False
    voice.ended_at = at
    return True


async def is_open_voice_session(session: AsyncSession, room_name: str) -> bool:
    """Whether `room_name` is a session this dialer opened and that has not ended."""
    voice = await session.get(VoiceSession, room_name)
    return voice is not None and voice.ended_at is None
