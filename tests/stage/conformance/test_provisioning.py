"""`dialer provision` run twice and `dialer trunks list`, as the operator runs them, against each LiveKit."""

from __future__ import annotations

import asyncio
import os
import sys

from livekit.protocol.sip import ListSIPDispatchRuleRequest, ListSIPInboundTrunkRequest, ListSIPOutboundTrunkRequest

from tests.provisioning_testkit import ADDRESS, ENV
from tests.stage.conformance.conftest import LiveKitUnderTest

DIALER = [sys.executable, "-m", "dialer"]


async def _dialer(livekit: LiveKitUnderTest, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, **ENV, "LIVEKIT_URL": livekit.url, "LIVEKIT_API_KEY": livekit.api_key,
           "LIVEKIT_API_SECRET": livekit.api_secret, "DIALER_SIP_OUTBOUND_TRUNK_ID": livekit.trunk_id}
    process = await asyncio.create_subprocess_exec(
        *DIALER, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _verbs(output: str) -> list[str]:
    return [line[:1] for line in output.splitlines() if line[:2] in ("+ ", "~ ", "= ")]


async def _state(livekit: LiveKitUnderTest) -> list[str]:
    async with livekit.client() as lk:
        outbound = await lk.sip.list_outbound_trunk(ListSIPOutboundTrunkRequest())
        inbound = await lk.sip.list_inbound_trunk(ListSIPInboundTrunkRequest())
        rules = await lk.sip.list_dispatch_rule(ListSIPDispatchRuleRequest())
    return [m.SerializeToString(deterministic=True).hex() for m in [*outbound.items, *inbound.items, *rules.items]]


async def test_provision_twice_writes_once_and_trunks_list_shows_it(livekit: LiveKitUnderTest) -> None:
    code, first, err = await _dialer(livekit, "provision")
    assert code == 0, err
    assert _verbs(first) == ["+", "+", "+"], first
    before = await _state(livekit)
    writes_before = len(livekit.sandbox.requests) if livekit.sandbox is not None else 0

    code, second, err = await _dialer(livekit, "provision")

    assert code == 0, err
    assert _verbs(second) == ["=", "=", "="], second
    assert "no changes: LiveKit matches the configuration" in second
    assert await _state(livekit) == before  # nothing changed on the server
    if livekit.sandbox is not None:
        sent = [r.method for r in livekit.sandbox.requests[writes_before:]]
        assert sent and all(m.startswith("List") for m in sent), sent
    code, listing, err = await _dialer(livekit, "trunks", "list")
    assert code == 0, err
    assert "'dialer-outbound'" in listing and ADDRESS in listing and "'dialer-briefing-rule'" in listing
    assert "+12125550190" not in listing and "+1********90" in listing  # numbers masked
