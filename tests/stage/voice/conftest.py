"""The voice stage: the unmodified product on real LiveKit, the phone on the other end, scripted models.

Session fixtures (one each per test session, started on first use, on top of tests/stage/fixtures.py's ``stage``):

- ``scripted_models``: the fake OpenAI-compatible server (dialer_testing/fake_openai.py) on a loopback thread.
  Speech-to-text gives the next scripted line per utterance with sound, chat completions stream scripted text and
  tool calls, text-to-speech is real espeak-ng speech, and livekit-agents' answering-machine classifier gets the
  label the test's ``amd`` gives (default ``human``). Each test calls ``scripted_models.script(...)`` first.
- ``callee_phone``: the sipp phone, restarted per test with that test's call scripts (``callee_phone.use``) on the
  one SIP port the trunk points at; ``callee_phone.number("50")`` is a fictional number where it is day now.
- ``hook_receiver``: the recruiter's system; keeps every signed webhook the dialer sends.
- ``dialer_service``: ``python -m dialer serve`` on its own SQLite file with ``LIVEKIT_URL`` etc. on the stage,
  the trunk to the phone as ``DIALER_SIP_OUTBOUND_TRUNK_ID``, calling hours 08:00-21:00 every day, and
  livekit-server's webhooks relayed to it (tests/stage/webhook_relay.py, set for each test by ``voice_stage``).
- ``agent_worker``: ``python -m agent start``, the production entrypoint, configured only by its environment
  (LiveKit, ``DIALER_AGENT_NAME``, the dialer's URL and agent key, the models' base URLs, a loopback health port,
  and ``DIALER_AGENT_LOAD_THRESHOLD=2`` so a busy shared machine never makes it refuse jobs), registered with the
  stage's livekit-server. Per test it is running at the start; ``agent_worker.stop()`` stops it (SIGTERM) and
  ``agent_worker.start()`` starts it again and waits for its registration; the next test finds it running.

Per test, ``voice_stage`` bundles all of them with helpers to create a consenting candidate and place a call.
Under ``CI=true`` a missing tool fails the test (tests/stage/fixtures.py's ``unavailable``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.stage.fixtures import _tool, create_outbound_trunk
from tests.stage.stage import Stage
from tests.stage.voice.callee import CalleePhone
from tests.stage.voice.environment import (
    AGENT_KEY,
    AGENT_NAME,
    API_KEY,
    CALLBACK_NUMBER,
    CONSENT,
    TRANSFER_NUMBER,
    WEBHOOK_SECRET,
    dialer_env,
    worker_env,
)
from tests.stage.voice.models import ScriptedModels
from tests.stage.voice.services import AgentWorker, DialerService, HookReceiver, wait_until
from tests.stage.voice.speech import Voice

@pytest.fixture(scope="session")
def scripted_models() -> Iterator[ScriptedModels]:
    models = ScriptedModels()
    models.start()
    yield models
    models.stop()


@pytest.fixture(scope="session")
def callee_phone(stage: Stage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CalleePhone]:
    import os

    from tests.stage.fixtures import unavailable

    if os.geteuid() != 0:
        unavailable("the phone records RTP with a raw packet socket and sipp replays media with one: run as root")
    callee = CalleePhone(stage, tmp_path_factory.mktemp("callee"), _tool("sipp"))
    yield callee
    callee.stop()


@pytest.fixture(scope="session")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Voice:
    _tool("espeak-ng")
    _tool("sox")
    return Voice(tmp_path_factory.mktemp("voice"))


@pytest.fixture(scope="session")
def hook_receiver() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def voice_trunk_id(stage: Stage, callee_phone: CalleePhone) -> str:
    with ThreadPoolExecutor(1) as pool:  # its own loop: the fixture may be set up inside a running test loop
        return pool.submit(asyncio.run, create_outbound_trunk(stage, callee_phone.address, "voice callee")).result()


@pytest.fixture(scope="session")
def dialer_service(stage: Stage, voice_trunk_id: str, hook_receiver: HookReceiver,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[DialerService]:
    service = DialerService(tmp_path_factory.mktemp("dialer"),
                            dialer_env(stage, trunk_id=voice_trunk_id, webhook_url=hook_receiver.url))
    stage.webhooks.forward_to = f"{service.url}/api/livekit/webhook"
    service.start()
    assert service.process is not None
    stage.processes.append(service.process)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def _worker_process(stage: Stage, dialer_service: DialerService, scripted_models: ScriptedModels,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentWorker]:
    worker = AgentWorker(tmp_path_factory.mktemp("agent"),
                         worker_env(stage, dialer_url=dialer_service.url, models_url=scripted_models.base_url))
    yield worker
    worker.stop()


@pytest.fixture
def agent_worker(_worker_process: AgentWorker, stage: Stage) -> Iterator[AgentWorker]:
    """The worker, running and registered when the test starts (started again if an earlier test stopped it)."""
    _worker_process.start()
    assert _worker_process.process is not None
    if _worker_process.process not in stage.processes:
        stage.processes.append(_worker_process.process)
    yield _worker_process


@dataclass
class VoiceStage:
    """Everything a voice-path scenario touches, with the few API steps every scenario takes."""

    stage: Stage
    dialer: DialerService
    worker: AgentWorker
    models: ScriptedModels
    callee: CalleePhone
    hooks: HookReceiver
    voice: Voice

    def candidate(self, phone: str, *, fields: dict[str, Any] | None = None,
                  required: list[str] | None = None, name: str = "Ada Lovelace") -> dict[str, Any]:
        return dict(self.dialer.api("POST", "/api/candidates", json={
            "external_id": f"ats-{phone}", "name": name, "phone": phone, "fields": fields or {},
            "required_fields": required or [], "consent": CONSENT,
        }))

    def call_now(self, candidate_id: str) -> dict[str, Any]:
        return dict(self.dialer.api("POST", "/api/calls", json={"candidate_id": candidate_id}))

    def get_call(self, call_id: str) -> dict[str, Any]:
        return dict(self.dialer.api("GET", f"/api/calls/{call_id}"))

    def wait_call(self, call_id: str, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 60.0,
                  what: str = "call") -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            call = self.get_call(call_id)
            return call if predicate(call) else None
        return dict(wait_until(check, timeout_s, what))


@pytest.fixture
def voice_stage(stage: Stage, dialer_service: DialerService, agent_worker: AgentWorker,
                scripted_models: ScriptedModels, callee_phone: CalleePhone, hook_receiver: HookReceiver,
                voice: Voice) -> Iterator[VoiceStage]:
    stage.webhooks.forward_to = f"{dialer_service.url}/api/livekit/webhook"  # other stage tests may have moved it
    yield VoiceStage(stage, dialer_service, agent_worker, scripted_models, callee_phone, hook_receiver, voice)
    callee_phone.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing voice test's report carries the worker's and the dialer's log tails and the phone's events."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("voice_stage")
    if report.failed and isinstance(running, VoiceStage):
        worker = running.worker.process.log_tail(80) if running.worker.process else "(stopped)"
        dialer = running.dialer.process.log_tail(40) if running.dialer.process else ""
        report.sections.append(("agent worker log", worker))
        report.sections.append(("dialer log", dialer))


__all__ = ["AGENT_KEY", "AGENT_NAME", "API_KEY", "CALLBACK_NUMBER", "TRANSFER_NUMBER", "WEBHOOK_SECRET", "VoiceStage"]
