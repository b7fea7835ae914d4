"""Browser sessions with the agent: join tokens (the seed's `/api/voice/token` contract) and session status.

The token grants join to one room only (publish/subscribe, no admin), lives minutes, and carries the `dialer.*`
attributes (mode and ids only, visible to the room). It carries no room configuration: a JWT is signed, not
encrypted, and the browser holds it (livekit-client even sends it in the WebSocket URL), so the agent is dispatched
server-side instead: the room is created with the agent dispatch in its configuration, whose metadata holds the
credential scoped to that one call or interview, before the token is handed out. The credential opens the API only
while that call or session is open.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from livekit import api
from sqlalchemy import select

from dialer import credentials
from dialer.clock import Clock
from dialer.errors import DialerError, NotFound
from dialer.fields import missing_fields
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.models import Attempt, Call, Candidate, CollectedField, Interview, VoiceSession
from dialer.telephony.base import AgentRooms

TOKEN_TTL = timedelta(minutes=10)
WEB_TRUNK = "web"  # web calls never count against a SIP trunk's limits


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


class VoiceService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        agent_name: str,
        secret: str,
        dialer_url: str,
        max_call_duration_s: int,
        telephony: AgentRooms,
    ) -> None:
        self._telephony = telephony
        self._db = db
        self._clock = clock
        self._agent_name = agent_name
        self._secret = secret
        self._dialer_url = dialer_url
        self._max_duration = timedelta(seconds=max_call_duration_s)

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
            room, agent_name=self._agent_name, agent_metadata=json.dumps(metadata), empty_timeout_s=60, departure_timeout_s=10
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

    async def _gap_filling_session(self, candidate_id: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """A web call is a call row like a phone call (so fields, transcript and report work the same), off-trunk."""
        now = self._clock.now()
        call_id = new_id("call")
        attempt_id = new_id("att")
        room = f"web-{call_id}"
        async with self._db.transaction() as session:
            candidate = await session.get(Candidate, candidate_id)
            if candidate is None:
                raise NotFound(f"candidate {candidate_id} not found")
            session.add(
                Call(
                    id=call_id,
                    candidate_id=candidate.id,
                    trunk_id=WEB_TRUNK,
                    state="in_call",
                    fields_to_ask=missing_fields(candidate.required_fields, candidate.fields),
                    max_attempts=1,
                    attempts_made=1,
                    room_name=room,
                    current_attempt_id=attempt_id,
                    source="web",
                    lease_expires_at=now + TOKEN_TTL + self._max_duration,
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            session.add(Attempt(id=attempt_id, call_id=call_id, number=1, started_at=now, report_sent=False))
            session.add(VoiceSession(room_name=room, mode="gap_filling", channel="web", call_id=call_id, created_at=now))
        token = credentials.issue(credentials.Scope("call", call_id), secret=self._secret, now=now, ttl=TOKEN_TTL + self._max_duration)
        metadata = {"mode": "gap_filling", "call_id": call_id, "attempt_id": attempt_id, "candidate_id": candidate_id, "token": token, "dialer_url": self._dialer_url}
        return room, {"dialer.mode": "gap_filling", "dialer.call_id": call_id}, metadata

    async def _briefing_session(self, room_name: str | None, interview_id: str | None) -> tuple[str, dict[str, str], dict[str, Any]]:
        now = self._clock.now()
        async with self._db.transaction() as session:
            query = select(Interview).where(Interview.id == interview_id) if interview_id else select(Interview).where(Interview.room_name == room_name)
            interview = await session.scalar(query)
            if interview is None:
                raise NotFound(f"interview {interview_id} not found" if interview_id else f"no interview has room {room_name}")
            existing = await session.get(VoiceSession, interview.room_name)
            if existing is None:
                session.add(VoiceSession(room_name=interview.room_name, mode="briefing", channel="web", interview_id=interview.id, created_at=now))
            else:
                existing.ended_at = None
        token = credentials.issue(credentials.Scope("interview", interview.id), secret=self._secret, now=now, ttl=TOKEN_TTL + self._max_duration)
        metadata = {"mode": "briefing", "interview_id": interview.id, "token": token, "dialer_url": self._dialer_url}
        return interview.room_name, {"dialer.mode": "briefing", "dialer.interview_id": interview.id}, metadata

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
        result: dict[str, Any] = {"room_name": room_name, "mode": mode, "state": state, "call_id": call.id if call else None}
        if voice is not None and voice.interview_id:
            result["interview_id"] = voice.interview_id
        if mode == "gap_filling":
            result["fields_collected"] = [{"name": f.name, "value": f.value, "status": f.status} for f in collected]
        return result

    async def is_open_session(self, room_name: str) -> bool:
        """Whether `room_name` is a browser session this dialer opened and that has not ended."""
        async with self._db.transaction() as session:
            voice = await session.get(VoiceSession, room_name)
        return voice is not None and voice.ended_at is None

    async def interview_session_open(self, interview_id: str) -> bool:
        """Whether a browser briefing on this interview is open (its credential dies with the session)."""
        async with self._db.transaction() as session:
            voice = await session.scalar(select(VoiceSession).where(VoiceSession.interview_id == interview_id))
        return voice is not None and voice.ended_at is None

    async def session_ended(self, room_name: str) -> bool:
        """Record the end of a browser session's room; True if it was one."""
        async with self._db.transaction() as session:
            voice = await session.get(VoiceSession, room_name, with_for_update=True)
            if voice is None or voice.ended_at is not None:
                return False
            voice.ended_at = self._clock.now()
            return True
