"""The LiveKit worker: one job per room, explicitly dispatched by agent name.

Per job: connect, wait for the human participant, resolve the mode, fetch the record from the dialer,
start the session, and (for outbound calls) say nothing until the phone is answered by a person.
A job that cannot be served is logged with its reason and ends cleanly, hanging up a phone leg rather
than leaving someone in silence; raising would only make LiveKit retry the same bad dispatch.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial
from typing import Any

from livekit import rtc
from livekit.agents import (
    AgentServer,
    AgentSession,
    AutoSubscribe,
    CloseEvent,
    JobContext,
    JobProcess,
    cli,
    llm,
    room_io,
)
from livekit.agents import vad as vad_
from livekit.agents.types import NOT_GIVEN
from livekit.agents.utils.participant import wait_for_participant_attribute, wait_for_track_publication
from livekit.agents.voice.amd import AMD

from .answering import answer_action
from .call_control import CallControl, LiveKitCallControl, LocalCallControl
from .detection import phone_detector
from .dialer_client import DialerAPIError
from .gap_filling import GapFillingAgent
from .identify import CallerIdentificationAgent
from .modes import (
    ATTR_SANDBOX_ANSWERED_BY,
    ATTR_SIP_CALL_STATUS,
    ModeError,
    ResolvedJob,
    expected_callee,
    resolve_mode,
)
from .runner import JobSetupError, Models, PreparedJob, create_session, prepare_job, watch_silence
from .settings import AgentSettings, AgentSettingsError

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def worker_settings() -> AgentSettings:
    return AgentSettings.from_env()


def prewarm(proc: JobProcess) -> None:
    """Load Silero VAD once per process (the model ships in the wheel), not once per call, and import the OpenAI
    plugin here: its first import builds thousands of pydantic models and, inside a job, blocked the call's event
    loop for 3 s (measured on the stage, with the callee on the line)."""
    from livekit.plugins import openai, silero  # noqa: F401 - imported for its one-time cost

    proc.userdata["vad"] = silero.VAD.load()


def _given(value: str | None) -> Any:
    return value if value else NOT_GIVEN


def build_llm(settings: AgentSettings) -> llm.LLM[Any]:
    """The chat model: OpenAI, or any OpenAI-compatible endpoint such as OpenRouter (`DIALER_LLM_BASE_URL`)."""
    from livekit.plugins import openai

    return openai.LLM(
        model=settings.llm_model, base_url=_given(settings.llm_base_url), api_key=_given(settings.llm_api_key)
    )


def build_models(settings: AgentSettings, *, vad: vad_.VAD | None) -> Models:
    """STT/LLM/TTS from livekit-plugins-openai (speech uses OPENAI_API_KEY unless its base URL says otherwise)."""
    from livekit.plugins import openai

    return Models(
        llm=build_llm(settings),
        stt=openai.STT(model=settings.stt_model, base_url=_given(settings.stt_base_url)),
        tts=openai.TTS(model=settings.tts_model, voice=settings.tts_voice, base_url=_given(settings.tts_base_url)),
        vad=vad,
    )


async def entrypoint(ctx: JobContext) -> None:
    """Run one dispatched job (gap-filling call or briefing) to its end."""
    settings = worker_settings()
    if ctx.is_fake_job():
        await _console(ctx, settings)
        return
    await ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY)
    # a call attempt's room: its own callee, not whoever joins first (a transfer target, a supervisor)
    participant = await ctx.wait_for_participant(identity=expected_callee(ctx.job.metadata, ctx.room.name))
    is_sip = participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
    control = LiveKitCallControl(
        ctx.api, room_name=ctx.room.name, participant_identity=participant.identity if is_sip else None
    )

    job = resolve_mode(ctx.job.metadata, dict(participant.attributes))
    answered = partial(_until_answered, ctx.room, participant.identity) if is_sip else None
    prepared = await _prepare(ctx, job, settings, control, hang_up=is_sip, answered=answered)
    if prepared is None:
        return

    session = create_session(build_models(settings, vad=ctx.proc.userdata.get("vad")))
    _wire(ctx, session, prepared)
    if isinstance(prepared.agent, CallerIdentificationAgent):
        identification = prepared.agent

        @ctx.room.on("sip_dtmf_received")
        def _on_dtmf(event: rtc.SipDTMF) -> None:
            if event.participant is not None and event.participant.identity == participant.identity:
                identification.on_dtmf(event.digit)  # digits are never logged

    if is_sip:
        end_job_when_leg_leaves(ctx, participant.identity)
    await session.start(
        prepared.agent,
        room=ctx.room,
        room_options=room_io.RoomOptions(participant_identity=participant.identity, close_on_disconnect=True),
    )
    logger.info("job %s started: %r", ctx.job.id, job)
    if isinstance(prepared.agent, GapFillingAgent):
        if is_sip:
            await _open_phone_call(ctx, prepared.agent, participant)
        else:
            prepared.agent.greet()  # web participants are there as soon as they join


async def _until_answered(room: rtc.Room, identity: str) -> None:
    """Until the phone leg's `sip.callStatus` is `active`; RuntimeError if it leaves first."""
    await wait_for_participant_attribute(room, identity=identity, attribute=ATTR_SIP_CALL_STATUS, value="active")


async def _prepare(
    ctx: JobContext,
    job: ResolvedJob | ModeError,
    settings: AgentSettings,
    control: CallControl,
    *,
    hang_up: bool,
    answered: Callable[[], Awaitable[None]] | None = None,
) -> PreparedJob | None:
    """Build the job, or log why not, hang up a phone leg and end the job (None)."""
    reason: str
    if isinstance(job, ModeError):
        reason = job.reason
    else:
        try:
            return await prepare_job(job, settings=settings, call_control=control, answered=answered)
        except (JobSetupError, DialerAPIError) as exc:
            reason = f"setup failed: {exc}"
    logger.warning("job %s not served: %s", ctx.job.id, reason)
    if hang_up:
        await control.hang_up()
    ctx.shutdown(reason="job refused")
    return None


def end_job_when_leg_leaves(ctx: JobContext, identity: str) -> None:
    """End the job when the phone leg leaves the room, whatever LiveKit gives as the reason.

    livekit-agents' `close_on_disconnect` acts on three reasons only (client initiated, room deleted, user
    rejected); a phone leg that ends any other way (a carrier 5xx is UNKNOWN, a media time-out, a SIP node going
    away) would otherwise leave the job running until the room closes. A SIP participant never comes back.
    """

    @ctx.room.on("participant_disconnected")
    def _on_disconnected(left: rtc.RemoteParticipant) -> None:
        if left.identity != identity:
            return
        reason = rtc.DisconnectReason.Name(left.disconnect_reason or rtc.DisconnectReason.UNKNOWN_REASON)
        logger.info("job %s: the phone leg left the room (%s)", ctx.job.id, reason)
        ctx.shutdown(reason=f"phone leg left: {reason}")


def _wire(ctx: JobContext, session: AgentSession[None], prepared: PreparedJob) -> None:
    if prepared.transcript is not None:
        prepared.transcript.attach(session)
    watch_silence(session, prepared)
    ctx.add_shutdown_callback(lambda reason: prepared.finalize(reason or "job shutdown"))

    @session.on("close")
    def _on_close(event: CloseEvent) -> None:
        ctx.shutdown(reason=f"session closed: {event.reason.value}")


async def _open_phone_call(ctx: JobContext, agent: GapFillingAgent, participant: rtc.RemoteParticipant) -> None:
    """Greet only once a person is on the line: never over ringing, never to a voicemail greeting."""
    detector: AMD | None = None
    if ATTR_SANDBOX_ANSWERED_BY not in participant.attributes:
        try:
            # the detector gives up after 5 s without the callee's track, and a phone may ring for a minute
            await wait_for_track_publication(ctx.room, identity=participant.identity, kind=rtc.TrackKind.KIND_AUDIO,
                                             wait_for_subscription=True)
        except RuntimeError:
            logger.info("call %s ended before it was answered", agent.context.call_id)
            ctx.shutdown(reason="not answered")
            return
        # AMD holds the agent's speech until its verdict and ignores pre-answer audio (ringback).
        detector = phone_detector(agent.session, participant.identity)
        try:
            await detector.__aenter__()
        except ValueError as exc:
            logger.warning("answering-machine detection unavailable: %s", exc)
            detector = None
    category: str | None = None
    heard = ""
    try:
        try:
            await wait_for_participant_attribute(
                ctx.room, identity=participant.identity, attribute=ATTR_SIP_CALL_STATUS, value="active"
            )
        except RuntimeError:  # hung up (or failed) before answering: LiveKit's webhook tells the dialer
            logger.info("call %s ended before it was answered", agent.context.call_id)
            ctx.shutdown(reason="not answered")
            return
        sandbox_answer = participant.attributes.get(ATTR_SANDBOX_ANSWERED_BY)  # may arrive with the answer
        if detector is not None and sandbox_answer is None:
            try:
                verdict = await detector.execute()
                category, heard = verdict.category.value, verdict.transcript
            except RuntimeError:
                logger.warning("answering-machine detection gave no verdict; greeting")
    finally:
        if detector is not None:
            await detector.aclose()

    action = answer_action(amd_category=category, sandbox_answered_by=sandbox_answer, transcript=heard)
    logger.info("call %s answered: %s", agent.context.call_id, action)  # the category, never the words
    await agent.answered(action, detail=f"({category})" if category else "")


async def _console(ctx: JobContext, settings: AgentSettings) -> None:
    """`python -m agent console`: no dispatch and no room, so serve DIALER_CONSOLE_METADATA over local audio."""
    job = resolve_mode(settings.console_metadata, {})
    prepared = await _prepare(ctx, job, settings, LocalCallControl(can_transfer=False), hang_up=False)
    if prepared is None:
        return
    session = create_session(build_models(settings, vad=ctx.proc.userdata.get("vad")))
    _wire(ctx, session, prepared)
    await session.start(prepared.agent)
    if isinstance(prepared.agent, GapFillingAgent):
        prepared.agent.greet()


def create_server(settings: AgentSettings | None = None) -> AgentServer:
    """The AgentServer `python -m agent dev|start|console` runs (explicit dispatch by agent name)."""
    settings = settings or worker_settings()
    idle = {} if settings.idle_processes is None else {"num_idle_processes": settings.idle_processes}
    server = AgentServer(
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret,
        setup_fnc=prewarm,
        host=settings.health_host,
        port=settings.health_port,
        load_threshold=settings.load_threshold,
        **idle,
    )
    server.rtc_session(entrypoint, agent_name=settings.agent_name)
    return server


# Commands that register with a LiveKit server, and so cannot run without one.
_SERVER_COMMANDS = frozenset({"start", "dev", "connect"})


def startup_problem(argv: list[str], env: dict[str, str] | None = None) -> str | None:
    """One line saying what to set, when `argv`'s command cannot start; None when it can.

    livekit-agents finds a missing LIVEKIT_URL only inside its worker loop, prints a traceback and
    exits 0, so a supervisor sees a clean exit; the check is made here, before the CLI starts.
    """
    try:
        settings = AgentSettings.from_env(env)
    except AgentSettingsError as exc:
        return str(exc)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in _SERVER_COMMANDS:
        return None
    unset = [
        name
        for name, value in (
            ("LIVEKIT_URL", settings.livekit_url),
            ("LIVEKIT_API_KEY", settings.livekit_api_key),
            ("LIVEKIT_API_SECRET", settings.livekit_api_secret),
        )
        if not value
    ]
    if unset:
        return f"python -m agent {command} needs {', '.join(unset)} (the LiveKit server the worker registers with)"
    return None


def main() -> None:
    problem = startup_problem(sys.argv[1:])
    if problem is not None:
        print(f"agent: {problem}", file=sys.stderr)
        raise SystemExit(2)
    cli.run_app(create_server())
