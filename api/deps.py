"""FastAPI dependencies, as narrow `Annotated` aliases: each route asks for the one service it calls.

They are `async def` although none waits for anything: FastAPI runs a plain `def` dependency in its thread pool,
one thread hop per dependency per request, which cost more CPU than the webhook route itself.

Only this module reaches into the Runtime (the composition root, kept on `app.state`); routers never do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from livekit.api import TokenVerifier

from api.auth import bearer_matches, unauthorized
from api.web import session as web_session
from config.settings import Settings
from dialer.clock import Clock
from dialer.engine.livekit_events import LiveKitEventHandler
from dialer.livekit_target import LiveKitAccess
from dialer.runtime import Runtime
from dialer.services.agent_calls import AgentCallService
from dialer.services.batch_results import BatchResultsService
from dialer.services.batches import BatchService
from dialer.services.briefings import BriefingService
from dialer.services.calls import CallService
from dialer.services.candidates import CandidateService
from dialer.services.changes import ChangeFeed
from dialer.services.dnc import DoNotCallService
from dialer.services.health import HealthService
from dialer.services.interviews import InterviewService
from dialer.services.voice import VoiceAccess, VoiceService

_bearer = HTTPBearer(auto_error=False, description="DIALER_API_KEY")


async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


_RuntimeDep = Annotated[Runtime, Depends(_runtime)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _settings(runtime: _RuntimeDep) -> Settings:
    return runtime.settings


async def _clock(runtime: _RuntimeDep) -> Clock:
    return runtime.clock


async def _livekit(runtime: _RuntimeDep) -> LiveKitAccess:
    return runtime.livekit


async def _candidates(runtime: _RuntimeDep) -> CandidateService:
    return runtime.candidates


async def _interviews(runtime: _RuntimeDep) -> InterviewService:
    return runtime.interviews


async def _batches(runtime: _RuntimeDep) -> BatchService:
    return runtime.batches


async def _batch_results(runtime: _RuntimeDep) -> BatchResultsService:
    return runtime.batch_results


async def _changes(runtime: _RuntimeDep) -> ChangeFeed:
    return runtime.changes


async def _calls(runtime: _RuntimeDep) -> CallService:
    return runtime.calls


async def _dnc(runtime: _RuntimeDep) -> DoNotCallService:
    return runtime.dnc


async def _agent_calls(runtime: _RuntimeDep) -> AgentCallService:
    return runtime.agent_calls


async def _briefings(runtime: _RuntimeDep) -> BriefingService:
    return runtime.briefings


async def _voice(runtime: _RuntimeDep) -> VoiceService:
    return runtime.voice


async def _health(runtime: _RuntimeDep) -> HealthService:
    return runtime.health


async def _livekit_events(runtime: _RuntimeDep) -> LiveKitEventHandler:
    return runtime.livekit_events


SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
LiveKitDep = Annotated[LiveKitAccess, Depends(_livekit)]
Candidates = Annotated[CandidateService, Depends(_candidates)]
Interviews = Annotated[InterviewService, Depends(_interviews)]
Batches = Annotated[BatchService, Depends(_batches)]
BatchResults = Annotated[BatchResultsService, Depends(_batch_results)]
Calls = Annotated[CallService, Depends(_calls)]
Changes = Annotated[ChangeFeed, Depends(_changes)]
DoNotCall = Annotated[DoNotCallService, Depends(_dnc)]
AgentCalls = Annotated[AgentCallService, Depends(_agent_calls)]
Briefings = Annotated[BriefingService, Depends(_briefings)]
Voice = Annotated[VoiceService, Depends(_voice)]
Health = Annotated[HealthService, Depends(_health)]
LiveKitEvents = Annotated[LiveKitEventHandler, Depends(_livekit_events)]


async def _voice_access(livekit: LiveKitDep) -> VoiceAccess:
    """Where browsers reach LiveKit (WebSocket scheme) and how their tokens are signed."""
    ws_url = livekit.url.replace("http://", "ws://").replace("https://", "wss://")
    return VoiceAccess(ws_url=ws_url, api_key=livekit.api_key, api_secret=livekit.api_secret)


def webhook_verifier(livekit: LiveKitAccess) -> TokenVerifier:
    """Checks the JWT LiveKit signs each webhook with (before its body is read)."""
    return TokenVerifier(livekit.api_key, livekit.api_secret)


VoiceAccessDep = Annotated[VoiceAccess, Depends(_voice_access)]


async def require_api_key(request: Request, settings: SettingsDep, clock: ClockDep, credentials: Credentials) -> None:
    """The bearer API key, or the web pages' signed session cookie (then state changes need the CSRF header)."""
    if bearer_matches(credentials, settings.api_key):
        return
    cookie = request.cookies.get(web_session.COOKIE_NAME)
    if not web_session.is_valid(cookie, secret=settings.secret_key, api_key=settings.api_key, now=clock.now()):
        raise unauthorized()
    if not web_session.csrf_ok(request.method, request.headers):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"signed in with the session cookie: send the header {web_session.CSRF_HEADER}: {web_session.CSRF_VALUE}",
        )


ApiKey = Depends(require_api_key)
