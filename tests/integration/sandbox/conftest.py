"""Fixtures: a sandbox on loopback (no ring delay, no auto hang-up), the real LiveKitAPI client,
and a webhook sink that verifies every delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from livekit import api
from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import API_KEY, API_SECRET, FakeClock, SandboxFactory, WebhookSink


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sink() -> AsyncIterator[WebhookSink]:
    receiver = WebhookSink()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def make_sandbox(sink: WebhookSink, clock: FakeClock) -> AsyncIterator[SandboxFactory]:
    """Starts sandboxes with test defaults (no ring delay, no auto hang-up, webhooks to the sink)."""
    started: list[LiveKitSandbox] = []

    async def factory(**overrides: Any) -> LiveKitSandbox:
        options: dict[str, Any] = dict(
            api_key=API_KEY, api_secret=API_SECRET, webhook_url=sink.url, ring_delay_s=0.0,
            auto_hangup=False, clock=clock, webhook_backoff_s=0.0, departure_time_scale=0.0,
        )
        options.update(overrides)
        sandbox = LiveKitSandbox(**options)
        await sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        await sandbox.stop()


@pytest.fixture
async def sandbox(make_sandbox: SandboxFactory) -> LiveKitSandbox:
    return await make_sandbox()


@pytest.fixture
async def lkapi(sandbox: LiveKitSandbox) -> AsyncIterator[api.LiveKitAPI]:
    async with api.LiveKitAPI(sandbox.url, API_KEY, API_SECRET) as client:
        yield client
