"""Browser sessions with the agent: join tokens (the seed's `/api/voice/token` contract) and session status.

The token grants join to one room only (publish/subscribe, no admin), lives minutes, and carries the `dialer.*`
attributes (mode and ids only, visible to the room). It carries no room configuration: a JWT is signed, not
encrypted, and the browser holds it (livekit-client even sends it in the WebSocket URL), so the agent is dispatched
server-side instead: the room is created with the agent dispatch in its configuration, whose metadata holds the
credential scoped to that one call or interview, before the token is handed out. The credential opens the API only
while that call or session is open.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from livekit import api
from sqlalchemy import select

from dialer import agent_dispatch, credentials
from dialer.clock import Clock
from dialer.errors import DialerError, NotFound
from dialer.lifecycle import LeaseRules
from dialer.lifecycle.sessions import end_voice_session, is_open_voice_session, open_voice_session, reopen_voice_session
from dialer.lifecycle.web_calls import reserve_web_call
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.models import Call, Candidate, CollectedField, Interview, VoiceSession
from dialer.telephony.base import AgentRooms, ParticipantSummary, TelephonyUnavailable

TOKEN_TTL = timedelta(minutes=10)


class MissingId(DialerError):
    """400 with the seed's messages ("candidate_id required for gap_filling mode")."""


@dataclass(frozen=True)
class VoiceAccess:
    """Where browsers reach LiveKit and how tokens are signed (the sandbox's URL is known only once started)."""

    ws_url: str
    api_key: str
    api_secret: str


@dataclass(frozen=True)
class VoiceToken:
    token: str
    room_name: str
    livekit_url: str
    mode: str


class VoiceRooms(AgentRooms, Protocol):
    """What browser sessions need from LiveKit: a room with the agent in its configuration, and who is in it."""

    async def participants(self, room_name: str) -> list[ParticipantSummary]: ...


class VoiceService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        agent_name: str,
        secret: str,
        dialer_url: str,
        lease: LeaseRules,
        telephony: VoiceRooms,
    ) -> None:
        self._telephony = telephony
        self._db = db
        self._clock = clock
        self._agent_name = agent_name
        self._secret = secret
        self._dialer_url = dialer_url
        self._lease = lease
        self._max_duration = timedelta(seconds=lease.max_call_duration_s)

    async def create_token(
        self,
        access: VoiceAccess,
        *,
        mode: str,
        user_name: str,
        candidate_id: str | None = None,
        room_name: str | None = None,
        interview_id: str | None = None,
    ) -> VoiceToken:
        if mode == "gap_filling":
            if not candidate_id:
                raise MissingId("candidate_id required for gap_filling mode")
            room, attributes, metadata = await self._gap_filling_session(candidate_id)
        else:
            if not room_name and not interview_id:
                raise MissingId("room_name required for briefing mode")
            room, attributes, metadata = await self._briefing_session(room_name, interview_id)
        # Server-side: the agent (and its credential) is in the room's configuration, never in the browser's token.
        await self._telephony.open_agent_room(
            room, agent_name=self._agent_name, agent_metadata=metadata, empty_timeout_s=60, departure_timeout_s=10
        )
        identity = f"web-{secrets.token_hex(6)}"
        token = (
            api.AccessToken(access.api_key, access.api_secret)
            .with_identity(identity)
            .with_name(user_name)
            .with_ttl(TOKEN_TTL)
            .with_grants(api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True))
            .with_attributes(attributes)
            .to_jwt()
        )
        return VoiceToken(token=token, room_name=room, livekit_url=access.ws_url, mode=mode)

    async def _gap_filling_session(self, candidate_id: str) -> tuple[str, dict[str, str], str]:
        """A web call is a call row like a phone call (so fields, transcript and report work the same), off-trunk.
        The token only reserves it: the row is written when the browser or the agent joins (lifecycle/web_calls)."""
        now = self._clock.now()
        call_id = new_id("call")
        room = agent_dispatch.web_call_room(call_id)
        async with self._db.transaction() as session:
            candidate = await session.get(Candidate, candidate_id)
            if candidate is None:
                raise NotFound(f"candidate {candidate_id} not found")
            reserve_web_call(session, room_name=room, call_id=call_id, candidate_id=candidate.id, now=now)
        token = credentials.issue(credentials.Scope("call", call_id), secret=self._secret, now=now, ttl=TOKEN_TTL + self._max_duration)
        metadata = agent_dispatch.gap_filling_metadata(
            call_id=call_id, attempt_id="", candidate_id=candidate_id, token=token, dialer_url=self._dialer_url
        )
        return room, agent_dispatch.gap_filling_attributes(call_id), metadata

    async def _briefing_session(self, room_name: str | None, interview_id: str | None) -> tuple[str, dict[str, str], str]:
        now = self._clock.now()
        async with self._db.transaction() as session:
            query = select(Interview).where(Interview.id == interview_id) if interview_id else select(Interview).where(Interview.room_name == room_name)
            interview = await session.scalar(query)
            if interview is None:
                raise NotFound(f"interview {interview_id} not found" if interview_id else f"no interview has room {room_name}")
            existing = await session.get(VoiceSession, interview.room_name)
            if existing is None:
                open_voice_session(session, room_name=interview.room_name, mode="briefing", now=now, interview_id=interview.id)
            else:
                reopen_voice_session(existing)
        token = credentials.issue(credentials.Scope("interview", interview.id), secret=self._secret, now=now, ttl=TOKEN_TTL + self._max_duration)
        metadata = agent_dispatch.briefing_metadata(interview_id=interview.id, token=token, dialer_url=self._dialer_url)
        return interview.room_name, agent_dispatch.briefing_attributes(interview.id), metadata

    async def status(self, room_name: str) -> dict[str, Any]:
        async with self._db.transaction() as session:
            voice = await session.get(VoiceSession, room_name)
            call = await session.scalar(select(Call).where(Call.room_name == room_name))
            if voice is None and call is None:
                raise NotFound(f"no voice session or call uses room {room_name}")
            collected: list[CollectedField] = []
            if call is not None:
                collected = list(await session.scalars(select(CollectedField).where(CollectedField.call_id == call.id).order_by(CollectedField.id)))
        mode = voice.mode if voice else "gap_filling"
        ended_at: datetime | None = voice.ended_at if voice else None
        state = call.state if call is not None else ("ended" if ended_at else "open")
        call_id = call.id if call is not None else (voice.pending_call_id if voice is not None else None)
        result: dict[str, Any] = {"room_name": room_name, "mode": mode, "state": state, "call_id": call_id}
        if voice is not None and voice.interview_id:
            result["interview_id"] = voice.interview_id
        if mode == "gap_filling":
            result["fields_collected"] = [{"name": f.name, "value": f.value, "status": f.status} for f in collected]
        try:
            participants = await self._telephony.participants(room_name)
            result["participants"] = [{"identity": p.identity, "kind": p.kind} for p in participants]
        except TelephonyUnavailable:
            result["participants"] = None  # LiveKit unreachable: the rest of the status still stands
        return result

    async def is_open_session(self, room_name: str) -> bool:
        """Whether `room_name` is a browser session this dialer opened and that has not ended."""
        async with self._db.transaction() as session:
            return await is_open_voice_session(session, room_name)

    async def interview_session_open(self, interview_id: str) -> bool:
        """Whether a browser briefing on this interview is open (its credential dies with the session)."""
        async with self._db.transaction() as session:
            voice = await session.scalar(select(VoiceSession).where(VoiceSession.interview_id == interview_id))
        return voice is not None and voice.ended_at is None

    async def session_ended(self, room_name: str) -> bool:
        """Record the end of a browser session's room; True if it was one."""
        async with self._db.transaction() as session:
            return await end_voice_session(session, room_name, self._clock.now())
