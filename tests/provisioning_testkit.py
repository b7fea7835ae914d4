"""Shared by the provisioning and CLI tests: one configuration, a bare sandbox, and request filters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from config.settings import Settings, load_settings
from sandbox import LiveKitSandbox, RecordedRequest

API_KEY = "prov-test-key"
API_SECRET = "prov-test-secret-0123456789abcdef0123"
PASSWORD = "trunk-password-7f3a9c"
USERNAME = "dialer-user"
ADDRESS = "example.pstn.twilio.com"
OUTBOUND_NUMBERS = ["+12125550190", "+12125550191"]
BRIEFING_NUMBER = "+14155550199"

# How an operator writes them: a comma list, the second number in national format.
SETTINGS: dict[str, Any] = dict(
    livekit_api_key=API_KEY,
    livekit_api_secret=API_SECRET,
    sip_outbound_address=ADDRESS,
    sip_outbound_numbers="+12125550190, (212) 555-0191",
    sip_outbound_username=USERNAME,
    sip_outbound_password=PASSWORD,
    sip_outbound_transport="tls",
    briefing_number=BRIEFING_NUMBER,
    agent_name="dialer-agent",
    default_region="US",
    sip_outbound_trunk_id="ST_sandbox",
)

ENV = {
    "LIVEKIT_API_KEY": API_KEY,
    "LIVEKIT_API_SECRET": API_SECRET,
    "DIALER_SIP_OUTBOUND_ADDRESS": ADDRESS,
    "DIALER_SIP_OUTBOUND_NUMBERS": "+12125550190, (212) 555-0191",
    "DIALER_SIP_OUTBOUND_USERNAME": USERNAME,
    "DIALER_SIP_OUTBOUND_PASSWORD": PASSWORD,
    "DIALER_SIP_OUTBOUND_TRANSPORT": "TLS",
    "DIALER_BRIEFING_NUMBER": BRIEFING_NUMBER,
    "DIALER_AGENT_NAME": "dialer-agent",
    "DIALER_DEFAULT_REGION": "US",
    "DIALER_SIP_OUTBOUND_TRUNK_ID": "ST_sandbox",
}


def make_settings(url: str | None = None, **overrides: Any) -> Settings:
    return load_settings(**{**SETTINGS, "livekit_url": url, **overrides})


@asynccontextmanager
async def bare_sandbox() -> AsyncIterator[LiveKitSandbox]:
    """No seeded trunk, no ring delay: LiveKit as a fresh project has it."""
    sandbox = LiveKitSandbox(api_key=API_KEY, api_secret=API_SECRET, ring_delay_s=0, auto_hangup=False,
                             seed_outbound_trunk_id=None)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def writes(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    """Everything but the List calls."""
    return [r for r in requests if not r.method.startswith("List")]
