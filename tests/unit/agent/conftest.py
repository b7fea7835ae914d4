"""Fixtures for the agent tests: a fake dialer API on loopback and a fixed clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from agent.settings import AgentSettings
from dialer_testing.fake_dialer import AGENT_KEY, FakeDialer

# The persona suite against a real model is part of the suite only where a model can be reached (OPENAI_API_KEY):
# not collected otherwise, so that nothing is skipped under CI=true.
collect_ignore = [] if os.environ.get("OPENAI_API_KEY") else ["test_agent_personas_live.py"]

# Wednesday 2026-11-25, 10:00 in New York.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture
async def dialer() -> AsyncIterator[FakeDialer]:
    fake = FakeDialer()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def settings() -> AgentSettings:
    return AgentSettings(dialer_api_key=AGENT_KEY, voicemail_message="Fallback voicemail message.")
