"""Session fixtures for the stage (registered in tests/conftest.py, so tests/stage and tests/conformance share
one stage per session): the binaries, Redis + livekit-server + livekit-sip, the SIP phone, and an outbound trunk
pointing at it. Without Go, sipp, redis-server, `ip` (iproute2) or root (for the namespace) a test needing them is skipped with one line saying why; under
``CI=true`` it fails instead. A failing stage test's report carries the tail of every stage log.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from livekit import api
from livekit.protocol.sip import CreateSIPOutboundTrunkRequest, SIPOutboundTrunkInfo, SIPTransport

from tests.stage.build import StageBinaries, StageUnavailable, ensure_binaries
from tests.stage.phone import SipPhone, reserved_scripts
from tests.stage.stage import Stage, start_stage

PHONE_RING_S = 1.0
TALK_TIME_SCALE = 0.2  # the reserved 555-0100 callee hangs up after 10 s x this (the sandbox's talk_time_scale)
TRUNK_CALLER_ID = "+12125550199"


def unavailable(reason: str) -> None:
    """A missing tool: a failure under CI=true, a one-line skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"stage: {reason} (required under CI=true)", pytrace=False)
    pytest.skip(f"stage: {reason}")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"`{name}` is not installed")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def stage_binaries() -> StageBinaries:
    try:
        return ensure_binaries()
    except StageUnavailable as exc:
        unavailable(str(exc))
        raise


@pytest.fixture(scope="session")
def stage(stage_binaries: StageBinaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """The stage, livekit-sip in a network namespace of the session's own (removed at the end, even on failure)."""
    _tool("ip")
    if os.geteuid() != 0:
        unavailable("livekit-sip runs in a network namespace of its own (`ip netns add`): run as root")
    running = start_stage(stage_binaries, tmp_path_factory.mktemp("stage"), _tool("redis-server"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def phone(stage: Stage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipPhone]:
    """The reserved numbers' phone (rings 1 s; the 0100 callee hangs up after 2 s)."""
    if os.geteuid() != 0:
        unavailable("the phone records RTP with a raw packet socket and sipp replays media with one: run as root")
    running = SipPhone(tmp_path_factory.mktemp("phone"),
                       reserved_scripts(ring_s=PHONE_RING_S, talk_time_scale=TALK_TIME_SCALE), sipp=_tool("sipp"),
                       at=stage.namespace.outer)
    running.start()
    stage.processes.append(running.process)
    yield running
    running.stop()


@dataclass(frozen=True)
class StageTrunk:
    trunk_id: str
    caller_id: str


async def create_outbound_trunk(stage: Stage, address: str, name: str) -> str:
    async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
        trunk = await lk.sip.create_outbound_trunk(CreateSIPOutboundTrunkRequest(trunk=SIPOutboundTrunkInfo(
            name=name, address=address, numbers=[TRUNK_CALLER_ID], transport=SIPTransport.SIP_TRANSPORT_UDP,
        )))
    return str(trunk.sip_trunk_id)


@pytest.fixture(scope="session")
def stage_trunk(stage: Stage, phone: SipPhone) -> StageTrunk:
    """An outbound trunk whose carrier is the phone."""
    # its own loop in its own thread: the fixture may be set up from inside a running test loop
    with ThreadPoolExecutor(1) as pool:
        trunk_id = pool.submit(asyncio.run, create_outbound_trunk(stage, phone.address, "stage phone")).result()
    return StageTrunk(trunk_id, TRUNK_CALLER_ID)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("stage")
    if report.failed and isinstance(running, Stage):
        report.sections.append(("stage logs", running.logs()))
