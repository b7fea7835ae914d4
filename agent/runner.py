"""Builds a job's agent from its resolved mode, and runs it with or without a LiveKit room.

The worker (agent/worker.py) and text-mode runs (tests, benchmarks, the lead's end-to-end test) share
`prepare_job` and `create_session`, so a text run exercises the same construction as production.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from livekit.agents import Agent, AgentSession, RunResult, llm, stt, tts, vad
from livekit.agents.types import NOT_GIVEN
from livekit.agents.voice.turn import TurnHandlingOptions

from .answering import answer_action
from .pacing import AWAY_AFTER_S, PHONE_TURN_HANDLING, SilenceWatch
from .briefing import BriefingAgent
from .call_control import CallControl, LocalCallControl
from .dialer_client import DialerClient
from .gap_filling import GapFillingAgent, utc_now
from .identify import CallerIdentificationAgent
from .modes import ATTR_SANDBOX_ANSWERED_BY, BriefingJob, GapFillingJob, ModeError, ResolvedJob, resolve_mode
from .settings import AgentSettings
from .transcript import TranscriptRecorder

logger = logging.getLogger(__name__)

JobAgent = GapFillingAgent | BriefingAgent | CallerIdentificationAgent


class JobSetupError(Exception):
    """The job cannot start (no dialer URL or credential, mode unresolved); the message is log-safe."""


@dataclass
class Models:
    """The session's models. Text runs need only `llm`."""

    llm: llm.LLM[Any]
    stt: stt.STT[Any] | None = None
    tts: tts.TTS[Any] | None = None
    vad: vad.VAD | None = None


@dataclass
class PreparedJob:
    job: ResolvedJob
    agent: JobAgent
    client: DialerClient
    transcript: TranscriptRecorder | None = None
    _finalized: bool = field(default=False, repr=False)

    async def finalize(self, reason: str) -> None:
        """After the session closed: report an unreported end, flush the transcript, close the client."""
        if self._finalized:
            return
        self._finalized = True
        try:
            if isinstance(self.agent, GapFillingAgent):
                await self.agent.finalize(reason)
            elif isinstance(self.agent, CallerIdentificationAgent):
                await self.agent.wait_background()
            if self.transcript is not None:
                await self.transcript.aclose()
        finally:
            await self.client.aclose()


def dialer_credentials(job: ResolvedJob, settings: AgentSettings) -> tuple[str, str]:
    """(base URL, bearer token): the worker's configured URL wins over the dispatch's `dialer_url`;
    the dispatch's scoped token wins over the worker's own agent key."""
    base_url = settings.dialer_api_url or job.dialer_url
    if not base_url:
        raise JobSetupError("no dialer URL: set DIALER_AGENT_API_URL or send dialer_url in the dispatch")
    token = job.token or settings.dialer_api_key
    if not token:
        raise JobSetupError("no credential for the dialer API: set DIALER_AGENT_API_KEY")
    return base_url, token


async def prepare_job(
    job: ResolvedJob,
    *,
    settings: AgentSettings,
    call_control: CallControl,
    clock: Callable[[], datetime] = utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
    answered: Callable[[], Awaitable[None]] | None = None,
) -> PreparedJob:
    """Fetch what the conversation needs from the dialer and build its agent. `answered` (inbound phone calls)
    waits until the caller's leg is answered, so the greeting is not spoken into the ringing."""
    base_url, token = dialer_credentials(job, settings)
    client = DialerClient(base_url, token, timeout_s=settings.api_timeout_s, transport=transport)
    try:
        if isinstance(job, GapFillingJob):
            context = await client.call_context(job.call_id)
            agent: JobAgent = GapFillingAgent(
                context=context,
                client=client,
                call_control=call_control,
                voicemail_message=settings.voicemail_message,
                clock=clock,
            )
            return PreparedJob(job, agent, client, TranscriptRecorder(client, job.call_id, clock=clock))
        if job.interview_id is not None:
            return PreparedJob(job, BriefingAgent(briefing=await client.briefing(job.interview_id)), client)
        agent = CallerIdentificationAgent(
            client=client,
            caller_phone=job.caller_phone,
            call_control=call_control,
            max_attempts=settings.identify_max_attempts,
            answered=answered,
        )
        return PreparedJob(job, agent, client)
    except BaseException:
        await client.aclose()
        raise


def watch_silence(session: AgentSession[None], prepared: PreparedJob) -> SilenceWatch | None:
    """Gap-filling calls ask "Are you still there?" on silence, and end politely when no one answers."""
    agent = prepared.agent
    if not isinstance(agent, GapFillingAgent):
        return None
    watch = SilenceWatch(session, give_up=agent.end_for_silence, active=agent.listening)
    agent.silence = watch
    return watch


def create_session(models: Models) -> AgentSession[None]:
    """One AgentSession configuration for production and text runs.

    Turn detection and interruptions use the VAD (no cloud-only turn model) with the phone pacing of
    agent/pacing.py; without a VAD (text runs) turns are whole text messages, so no turn detector is configured
    and no silence timer runs (a silence watch is driven by the session's user_state_changed events).
    """
    turn_handling: TurnHandlingOptions = PHONE_TURN_HANDLING if models.vad else {"turn_detection": None}
    return AgentSession(
        llm=models.llm,
        stt=models.stt or NOT_GIVEN,
        tts=models.tts or NOT_GIVEN,
        vad=models.vad,
        turn_handling=turn_handling,
        user_away_timeout=AWAY_AFTER_S if models.vad else None,
    )


@dataclass
class TextRun:
    """A started text-mode session (no room, no audio) and what it is made of."""

    session: AgentSession[None]
    prepared: PreparedJob
    control: CallControl
    start_result: RunResult[None] | None
    participant_attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def agent(self) -> Agent:
        return self.prepared.agent

    async def answer(self) -> None:
        """Gap filling: the phone was answered. Greets, or (sandbox `sandbox.answeredBy=machine`) leaves the
        voicemail, exactly as the worker does after answering-machine detection; waits for the speech."""
        if not isinstance(self.agent, GapFillingAgent):
            raise TypeError("only gap-filling calls are answered; briefings greet on their own")
        sandbox = self.participant_attributes.get(ATTR_SANDBOX_ANSWERED_BY)
        await self.agent.answered(answer_action(amd_category=None, sandbox_answered_by=sandbox))

    async def user_says(self, text: str) -> RunResult[None]:
        """One typed user turn; the result holds the agent's reply, tool calls and outputs (`.expect`)."""
        result: RunResult[None] = self.session.run(user_input=text)
        return await result


@asynccontextmanager
async def open_text_session(
    metadata: str,
    participant_attributes: Mapping[str, str] | None = None,
    *,
    llm: llm.LLM[Any],
    settings: AgentSettings | None = None,
    call_control: CallControl | None = None,
    clock: Callable[[], datetime] = utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
    answered: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[TextRun]:
    """Run a job from its dispatch metadata in text mode: same mode resolution, dialer calls and agents
    as the worker, with typed turns instead of a room. Raises JobSetupError when the mode is refused.

    Example::

        async with open_text_session(metadata, {"dialer.mode": "gap_filling"}, llm=my_llm) as run:
            run.agent.greet()
            result = await run.session.run(user_input="Yes, go ahead")
    """
    job = resolve_mode(metadata, participant_attributes or {})
    if isinstance(job, ModeError):
        raise JobSetupError(job.reason)
    control = call_control or LocalCallControl(can_transfer=job.channel == "sip")
    prepared = await prepare_job(
        job, settings=settings or AgentSettings(), call_control=control, clock=clock, transport=transport,
        answered=answered,
    )
    session = create_session(Models(llm=llm))
    if prepared.transcript is not None:
        prepared.transcript.attach(session)
    watch_silence(session, prepared)
    try:
        start_result = await session.start(prepared.agent, capture_run=True)
        yield TextRun(
            session=session,
            prepared=prepared,
            control=control,
            start_result=start_result,
            participant_attributes=dict(participant_attributes or {}),
        )
    finally:
        await session.aclose()
        await prepared.finalize("session closed")


__all__ = [
    "BriefingJob",
    "GapFillingJob",
    "JobSetupError",
    "Models",
    "PreparedJob",
    "TextRun",
    "create_session",
    "dialer_credentials",
    "open_text_session",
    "prepare_job",
    "watch_silence",
]
