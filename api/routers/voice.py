"""Browser sessions with the agent: the seed's `/api/voice/token` contract, and a session's status."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import Field

from api.deps import ApiKey, Voice, VoiceAccessDep
from api.errors import ErrorOut
from api.schemas.base import Request, Response
from dialer.services.voice import MissingId

router = APIRouter(prefix="/api/voice", tags=["voice"], dependencies=[ApiKey])


class VoiceTokenRequest(Request):
    mode: Literal["gap_filling", "briefing"]
    candidate_id: str | None = Field(default=None, description="required for gap_filling")
    room_name: str | None = Field(default=None, description="required for briefing (or give interview_id)")
    interview_id: str | None = None
    user_name: str = Field(min_length=1, max_length=100)


class VoiceTokenResponse(Response):
    token: str
    room_name: str
    livekit_url: str
    mode: str


@router.post("/token", responses={503: {"model": ErrorOut, "description": "LiveKit is not reachable; retry shortly"}})
async def voice_token(body: VoiceTokenRequest, voice: Voice, access: VoiceAccessDep) -> VoiceTokenResponse:
    try:
        token = await voice.create_token(
            access,
            mode=body.mode,
            user_name=body.user_name,
            candidate_id=body.candidate_id,
            room_name=body.room_name,
            interview_id=body.interview_id,
        )
    except MissingId as exc:
        raise HTTPException(status_code=400, detail=exc.message) from None
    return VoiceTokenResponse(token=token.token, room_name=token.room_name, livekit_url=token.livekit_url, mode=token.mode)


@router.get("/session/{room_name}/status")
async def session_status(room_name: str, voice: Voice) -> dict[str, Any]:
    return await voice.status(room_name)
