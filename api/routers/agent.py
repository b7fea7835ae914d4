"""The agent's API: each route opens one call to the credential issued for it (in the dispatch metadata)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.auth import bearer_matches, unauthorized
from api.deps import AgentCalls, Briefings, ClockDep, Credentials, SettingsDep, Voice
from api.schemas.agent import (
    BriefingOut,
    CallbackIn,
    CallbackOut,
    CallContextOut,
    DoNotCallRequestIn,
    EndIn,
    FieldAnswerIn,
    FieldSavedOut,
    IdentificationOut,
    IdentifyIn,
    PinIn,
    TranscriptIn,
    TransferFailedIn,
)
from config.settings import Settings
from dialer import credentials
from dialer.clock import Clock
from dialer.services.agent_calls import Turn

router = APIRouter(prefix="/api/agent", tags=["agent"])


def _require_scope(settings: Settings, clock: Clock, creds: Credentials, *, kind: str, subject: str) -> None:
    """The bearer must be a credential the dialer issued for exactly this call or interview, still valid."""
    if creds is None:
        raise unauthorized(f"send the {kind}'s credential: Authorization: Bearer <token from the dispatch metadata>")
    try:
        scope = credentials.verify(creds.credentials, secret=settings.secret_key, now=clock.now())
    except credentials.InvalidCredential as exc:
        raise unauthorized(f"credential rejected: {exc}") from None
    if scope != credentials.Scope(kind, subject):
        raise unauthorized(f"this credential is for another {kind}")


async def call_scope(
    call_id: str, settings: SettingsDep, clock: ClockDep, creds: Credentials, agent_calls: AgentCalls
) -> str:
    """The call's own credential, and only while the call is open (it dies with the call)."""
    _require_scope(settings, clock, creds, kind="call", subject=call_id)
    if not await agent_calls.open_for_agent(call_id):
        raise unauthorized("this call has ended; its credential no longer opens it")
    return call_id


CallId = Annotated[str, Depends(call_scope)]


def _is_agent_key(settings: Settings, creds: Credentials) -> bool:
    return creds is not None and bearer_matches(creds, settings.agent_api_key)


async def interview_scope(
    interview_id: str, settings: SettingsDep, clock: ClockDep, creds: Credentials, voice: Voice
) -> str:
    """An interview's own credential (web briefing), or the agent workers' key (callers to the briefing number)."""
    if not _is_agent_key(settings, creds):
        _require_scope(settings, clock, creds, kind="interview", subject=interview_id)
        if not await voice.interview_session_open(interview_id):
            raise unauthorized("this briefing session has ended; its credential no longer opens it")
    return interview_id


async def agent_key(settings: SettingsDep, creds: Credentials) -> None:
    if not _is_agent_key(settings, creds):
        raise unauthorized("send the agent key: Authorization: Bearer <DIALER_AGENT_API_KEY>")


InterviewId = Annotated[str, Depends(interview_scope)]


@router.get("/calls/{call_id}/context")
async def context(call_id: CallId, agent_calls: AgentCalls) -> CallContextOut:
    return CallContextOut.model_validate(await agent_calls.context(call_id))


@router.post("/calls/{call_id}/fields")
async def record_field(call_id: CallId, body: FieldAnswerIn, agent_calls: AgentCalls) -> FieldSavedOut:
    saved = await agent_calls.record_field(
        call_id, name=body.name, value=body.value, status=body.status, source_text=body.source_text
    )
    return FieldSavedOut.model_validate(saved)


@router.post("/calls/{call_id}/transcript", status_code=status.HTTP_204_NO_CONTENT)
async def transcript(call_id: CallId, body: TranscriptIn, agent_calls: AgentCalls) -> None:
    turns = [Turn(role="callee" if t.role in ("callee", "user") else "agent", text=t.text, at=t.at) for t in body.turns]
    await agent_calls.add_transcript(call_id, turns)


@router.post("/calls/{call_id}/do-not-call", status_code=status.HTTP_204_NO_CONTENT)
async def do_not_call(call_id: CallId, body: DoNotCallRequestIn, agent_calls: AgentCalls) -> None:
    await agent_calls.do_not_call(call_id, body.reason)


@router.post("/calls/{call_id}/transfer-started", status_code=status.HTTP_204_NO_CONTENT)
async def transfer_started(call_id: CallId, agent_calls: AgentCalls) -> None:
    """Sent just before the REFER: if the phone leg leaves before the agent reports the result, the call was
    transferred (a failure reported to transfer-failed undoes it)."""
    await agent_calls.transfer_started(call_id)


@router.post("/calls/{call_id}/transfer-failed", status_code=status.HTTP_204_NO_CONTENT)
async def transfer_failed(call_id: CallId, body: TransferFailedIn, agent_calls: AgentCalls) -> None:
    await agent_calls.transfer_failed(call_id, body.sip_status)


@router.post("/calls/{call_id}/callback")
async def callback(call_id: CallId, body: CallbackIn, agent_calls: AgentCalls) -> CallbackOut:
    return CallbackOut.model_validate(await agent_calls.callback(call_id, body.at_local))


@router.post("/calls/{call_id}/end", status_code=status.HTTP_204_NO_CONTENT)
async def end(call_id: CallId, body: EndIn, agent_calls: AgentCalls) -> None:
    await agent_calls.end(call_id, outcome=body.outcome, reason=body.reason)


@router.get("/interviews/{interview_id}/briefing")
async def briefing(interview_id: InterviewId, briefings: Briefings) -> BriefingOut:
    return BriefingOut.model_validate(await briefings.briefing(interview_id))


@router.post("/briefing/identify", dependencies=[Depends(agent_key)])
async def identify(body: IdentifyIn, briefings: Briefings) -> IdentificationOut:
    return IdentificationOut.model_validate(await briefings.identify(body.phone))


@router.post("/briefing/verify-pin", dependencies=[Depends(agent_key)])
async def verify_pin(body: PinIn, briefings: Briefings) -> IdentificationOut:
    return IdentificationOut.model_validate(await briefings.verify_pin(body.pin, body.phone))
