"""The ``livekit`` fixture: each conformance test runs against the sandbox and against the stage (real
livekit-server v1.13.5 + livekit-sip v1.8.0 dialling the sipp phone), the way the store suite runs on SQLite and
PostgreSQL. Both halves dial the same reserved numbers through the real ``livekit.api`` client and read the same
signed webhooks; the sandbox rings and talks on the phone's timing (ring 1 s, the 0100 callee hangs up after 2 s).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from livekit import api
from livekit.protocol.webhook import WebhookEvent

from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import WebhookSink
from tests.stage.fixtures import PHONE_RING_S, TALK_TIME_SCALE, StageTrunk
from tests.stage.phone import SipPhone
from tests.stage.stage import Stage

SANDBOX_KEY = "conformance-key"
SANDBOX_SECRET = "conformance-secret-0123456789abcdef0123"


@dataclass
class LiveKitUnderTest:
    """One LiveKit (sandbox or stage) as the dialer sees it: its URL, keys, outbound trunk and webhooks."""

    kind: str
    url: str
    api_key: str
    api_secret: str
    trunk_id: str
    caller_id: str
    _events: Callable[[], list[WebhookEvent]]
    phone: SipPhone | None = None
    sandbox: LiveKitSandbox | None = None  # the sandbox half only: its recorded requests

    def client(self) -> api.LiveKitAPI:
        return api.LiveKitAPI(self.url, self.api_key, self.api_secret)

    def room(self, prefix: str = "conf") -> str:
        return f"{prefix}-{self.kind}-{uuid.uuid4().hex[:8]}"

    def events(self, room: str | None = None) -> list[WebhookEvent]:
        return [e for e in self._events() if room is None or e.room.name == room]

    def names(self, room: str) -> list[str]:
        return [e.event for e in self.events(room)]

    async def wait_event(self, name: str, room: str, *, timeout_s: float = 15.0,
                         where: Callable[[WebhookEvent], bool] = lambda _e: True) -> WebhookEvent:
        """The first ``name`` event of ``room`` (polled: the stage's relay runs in a thread of its own)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [e for e in self.events(room) if e.event == name and where(e)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.kind}: no {name} for {room} in {timeout_s} s; got {self.names(room)}")
            await asyncio.sleep(0.05)


def _decode(receiver: api.WebhookReceiver, body: bytes, auth: str) -> WebhookEvent:
    return receiver.receive(body.decode(), auth)


@pytest.fixture(params=["sandbox", pytest.param("stage", marks=pytest.mark.stage)])
async def livekit(request: pytest.FixtureRequest) -> AsyncIterator[LiveKitUnderTest]:
    if request.param == "sandbox":
        sink = WebhookSink(SANDBOX_KEY, SANDBOX_SECRET)
        await sink.start()
        sandbox = LiveKitSandbox(
            api_key=SANDBOX_KEY, api_secret=SANDBOX_SECRET, webhook_url=sink.url, ring_delay_s=PHONE_RING_S,
            talk_time_scale=TALK_TIME_SCALE, auto_hangup=True, webhook_backoff_s=0.0,
            agents=False,  # the stage registers no agent worker: neither does this half
        )
        await sandbox.start()
        try:
            yield LiveKitUnderTest("sandbox", sandbox.url, SANDBOX_KEY, SANDBOX_SECRET, "ST_sandbox",
                                   "+12125550199", lambda: list(sink.events), sandbox=sandbox)
        finally:
            await sandbox.stop()
            await sink.stop()
        return
    stage: Stage = request.getfixturevalue("stage")
    trunk: StageTrunk = request.getfixturevalue("stage_trunk")
    phone: SipPhone = request.getfixturevalue("phone")
    receiver = api.WebhookReceiver(api.TokenVerifier(stage.api_key, stage.api_secret))
    start = stage.webhooks.count()
    yield LiveKitUnderTest(
        "stage", stage.url, stage.api_key, stage.api_secret, trunk.trunk_id, trunk.caller_id,
        lambda: [_decode(receiver, d.body, d.authorization) for d in stage.webhooks.since(start)], phone,
    )
