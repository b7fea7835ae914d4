"""Where the dialer finds LiveKit: LIVEKIT_URL, or else the built-in sandbox, started on loopback *before* the runtime
is built so that everything is constructed with its real address (nothing is patched after start)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings

if TYPE_CHECKING:
    from sandbox import LiveKitSandbox

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/livekit/webhook"


@dataclass(frozen=True)
class LiveKitAccess:
    url: str
    api_key: str
    api_secret: str


def configured_access(settings: Settings) -> LiveKitAccess | None:
    """LIVEKIT_URL and its credentials; None when unset (the sandbox's turn)."""
    if settings.uses_sandbox:
        return None
    assert settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret
    return LiveKitAccess(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret)


def sandbox_access(url: str) -> LiveKitAccess:
    return LiveKitAccess(url=url, api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET)


def new_sandbox(settings: Settings) -> LiveKitSandbox:
    """The sandbox as `dialer serve` runs it: signed webhooks to this dialer, the configured trunk id seeded."""
    from sandbox import LiveKitSandbox, SandboxAgents  # only when used: production with LIVEKIT_URL never loads it

    return LiveKitSandbox(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        webhook_url=f"{settings.base_url}{WEBHOOK_PATH}",
        seed_outbound_trunk_id=settings.sip_outbound_trunk_id,
        conversations=settings.sandbox_conversations,  # a scripted callee talks with the real agent (text mode)
        agents=SandboxAgents(names={settings.agent_name}) if settings.sandbox_agent else False,
    )


@asynccontextmanager
async def livekit_for(settings: Settings) -> AsyncIterator[LiveKitAccess]:
    """LIVEKIT_URL's LiveKit, or the sandbox for as long as the context lasts (saying loudly that nothing rings)."""
    configured = configured_access(settings)
    if configured is not None:
        yield configured
        return
    sandbox = new_sandbox(settings)
    url = await sandbox.start(settings.host, settings.sandbox_port)
    banner = "=" * 78
    log.warning(
        "\n%s\n  LIVEKIT_URL is not set: using the built-in LiveKit SANDBOX at %s\n"
        "  NO REAL PHONE CALL IS PLACED. Reserved test numbers choose each call's outcome (see README).\n%s",
        banner, url, banner,
    )
    try:
        yield sandbox_access(url)
    finally:
        await sandbox.stop()
