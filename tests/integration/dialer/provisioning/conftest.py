"""Fixtures: a bare sandbox on loopback and the real LiveKitAPI client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit import api

from sandbox import LiveKitSandbox
from tests.provisioning_testkit import API_KEY, API_SECRET, bare_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[LiveKitSandbox]:
    async with bare_sandbox() as running:
        yield running


@pytest.fixture
async def lkapi(sandbox: LiveKitSandbox) -> AsyncIterator[api.LiveKitAPI]:
    async with api.LiveKitAPI(sandbox.url, API_KEY, API_SECRET) as client:
        yield client
