"""Worker wiring that runs without a LiveKit server: server options, models, prewarm, refusals."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from livekit import rtc
from livekit.agents import AgentServer, JobExecutorType, JobProcess
from livekit.plugins import openai, silero

from agent.call_control import LocalCallControl
from agent.gap_filling import GapFillingAgent
from agent.modes import ModeError, resolve_mode
from agent.settings import AgentSettings, AgentSettingsError
from agent.worker import _prepare, build_models, create_server, end_job_when_leg_leaves, entrypoint, prewarm
from dialer_testing.fake_dialer import FakeDialer, gap_filling_metadata


class StubJobContext:
    """Just what `_prepare` touches: the job id and shutdown()."""

    def __init__(self) -> None:
        self.job = SimpleNamespace(id="job-1")
        self.shutdowns: list[str] = []

    def shutdown(self, reason: str = "") -> None:
        self.shutdowns.append(reason)


def test_server_dispatches_explicitly_by_agent_name() -> None:
    server = create_server(AgentSettings(agent_name="recruiter-bot", livekit_url="ws://127.0.0.1:7880"))
    assert server._agent_name == "recruiter-bot"
    assert server._entrypoint_fnc is entrypoint
    assert server.setup_fnc is prewarm


def test_health_server_and_load_threshold_come_from_the_environment() -> None:
    settings = AgentSettings.from_env({"DIALER_AGENT_HEALTH_HOST": "127.0.0.1", "DIALER_AGENT_HEALTH_PORT": "0",
                                       "DIALER_AGENT_LOAD_THRESHOLD": "2"})
    server = create_server(settings)
    assert (server._host, server._port, server._load_threshold) == ("127.0.0.1", 0, 2.0)
    defaults = create_server(AgentSettings())
    assert (defaults._host, defaults._port, defaults._load_threshold) == ("", 8081, 0.7)
    with pytest.raises(AgentSettingsError, match="DIALER_AGENT_HEALTH_PORT"):
        AgentSettings.from_env({"DIALER_AGENT_HEALTH_PORT": "http"})


def test_warm_job_processes_come_from_the_environment_or_livekit_agents_default() -> None:
    assert create_server(AgentSettings.from_env({"DIALER_AGENT_IDLE_PROCESSES": "3"}))._num_idle_processes == 3
    assert create_server(AgentSettings.from_env({"DIALER_AGENT_IDLE_PROCESSES": "0"}))._num_idle_processes == 0
    default = create_server(AgentSettings())._num_idle_processes
    assert default is AgentServer._default_num_idle_processes  # one per CPU with `start`, none with `dev`
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(AgentSettingsError, match="DIALER_AGENT_IDLE_PROCESSES"):
            AgentSettings.from_env({"DIALER_AGENT_IDLE_PROCESSES": bad})


def test_models_follow_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = AgentSettings(llm_model="anthropic/claude-3.5-haiku", llm_base_url="http://127.0.0.1:9/v1",
                             stt_model="whisper-1", tts_model="tts-1", tts_voice="nova")
    models = build_models(settings, vad=None)
    assert isinstance(models.llm, openai.LLM) and models.llm.model == "anthropic/claude-3.5-haiku"
    assert models.llm.provider == "127.0.0.1:9"
    assert isinstance(models.stt, openai.STT) and models.stt.model == "whisper-1"
    assert isinstance(models.tts, openai.TTS) and models.tts.model == "tts-1"


def test_prewarm_loads_silero_once_per_process() -> None:
    proc = JobProcess(executor_type=JobExecutorType.THREAD, user_arguments=None, http_proxy=None)
    prewarm(proc)
    assert isinstance(proc.userdata["vad"], silero.VAD)


async def test_unresolvable_job_hangs_up_the_phone_and_ends_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    ctx, control = StubJobContext(), LocalCallControl()
    job = resolve_mode('{"mode": "gap_filling"}', {"sip.phoneNumber": "+15550123"})
    assert isinstance(job, ModeError)
    with caplog.at_level(logging.WARNING, logger="agent"):
        prepared = await _prepare(ctx, job, AgentSettings(), control, hang_up=True)  # type: ignore[arg-type]
    assert prepared is None
    assert control.hang_ups == 1 and ctx.shutdowns == ["job refused"]
    assert "no call_id" in caplog.text and "5550123" not in caplog.text


async def test_dialer_refusing_the_context_ends_a_web_job_without_hanging_up(
    dialer: FakeDialer, caplog: pytest.LogCaptureFixture
) -> None:
    dialer.add_call("call-1", token="tok-call-1", fields=["location"])
    job = resolve_mode(gap_filling_metadata(dialer, "call-1"), {})
    dialer.calls["call-1"].token = "rotated"  # the dispatch's token is no longer valid
    ctx, control = StubJobContext(), LocalCallControl()
    with caplog.at_level(logging.WARNING, logger="agent"):
        prepared = await _prepare(ctx, job, AgentSettings(), control, hang_up=False)  # type: ignore[arg-type]
    assert prepared is None and control.hang_ups == 0 and ctx.shutdowns == ["job refused"]
    assert "bad credential" in caplog.text and "tok-call-1" not in caplog.text


async def test_good_job_is_prepared(dialer: FakeDialer) -> None:
    dialer.add_call("call-1", token="tok-call-1", fields=["location"])
    ctx = StubJobContext()
    job = resolve_mode(gap_filling_metadata(dialer, "call-1"), {"sip.callStatus": "ringing"})
    prepared = await _prepare(ctx, job, AgentSettings(), LocalCallControl(), hang_up=True)  # type: ignore[arg-type]
    assert prepared is not None and isinstance(prepared.agent, GapFillingAgent)
    assert [f.name for f in prepared.agent.context.fields] == ["location"] and ctx.shutdowns == []
    await prepared.finalize("test over")


LIVEKIT_ENV = {"LIVEKIT_URL": "ws://127.0.0.1:7880", "LIVEKIT_API_KEY": "key", "LIVEKIT_API_SECRET": "secret"}


@pytest.mark.parametrize("command", ["start", "dev", "connect"])
def test_server_commands_name_each_missing_livekit_setting(command: str) -> None:
    from agent.worker import startup_problem

    problem = startup_problem([command], {"LIVEKIT_API_KEY": "key"})
    assert problem is not None
    assert "LIVEKIT_URL" in problem and "LIVEKIT_API_SECRET" in problem and "LIVEKIT_API_KEY" not in problem


def test_commands_that_need_no_server_start_without_livekit_settings() -> None:
    from agent.worker import startup_problem

    assert startup_problem(["download-files"], {}) is None
    assert startup_problem(["console"], {}) is None
    assert startup_problem(["start", "--log-level", "debug"], LIVEKIT_ENV) is None


def test_a_bad_agent_setting_is_one_line_whatever_the_command() -> None:
    from agent.worker import startup_problem

    assert startup_problem(["console"], {"DIALER_AGENT_API_URL": "ftp://x"}) == (
        "DIALER_AGENT_API_URL: use an http:// or https:// URL"
    )


def test_start_without_livekit_url_exits_non_zero_with_one_line() -> None:
    """The real command: livekit-agents alone would print a traceback and exit 0."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    done = subprocess.run(
        [sys.executable, "-m", "agent", "start"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "agent: python -m agent start needs LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET "
        "(the LiveKit server the worker registers with)"
    ]


@pytest.mark.parametrize(
    "reason",
    [
        rtc.DisconnectReason.UNKNOWN_REASON,  # a carrier 5xx, as livekit-server reports it
        rtc.DisconnectReason.SIGNAL_CLOSE,
        rtc.DisconnectReason.SERVER_SHUTDOWN,
        rtc.DisconnectReason.CLIENT_INITIATED,
    ],
)
async def test_the_job_ends_whenever_the_phone_leg_leaves(reason: int) -> None:
    """Beyond livekit-agents' three close_on_disconnect reasons: any departure of the SIP leg ends the job."""
    ctx = StubJobContext()
    ctx.room = rtc.Room()  # type: ignore[attr-defined]
    end_job_when_leg_leaves(ctx, "callee-c1")  # type: ignore[arg-type]
    ctx.room.emit("participant_disconnected", SimpleNamespace(identity="someone-else", disconnect_reason=reason))
    assert ctx.shutdowns == []
    ctx.room.emit("participant_disconnected", SimpleNamespace(identity="callee-c1", disconnect_reason=reason))
    assert ctx.shutdowns == [f"phone leg left: {rtc.DisconnectReason.Name(reason)}"]
