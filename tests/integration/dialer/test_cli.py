"""`dialer provision` and `dialer trunks list` through the real entry point (`dialer.cli.main`).

main() runs its own event loop (asyncio.run), so it runs in a worker thread while the sandbox serves on the
test's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from dialer.cli import build_parser, main
from sandbox import LiveKitSandbox
from tests.provisioning_testkit import (
    BRIEFING_NUMBER,
    ENV,
    OUTBOUND_NUMBERS,
    PASSWORD,
    USERNAME,
    bare_sandbox,
    writes,
)


@pytest.fixture
async def sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LiveKitSandbox]:
    async with bare_sandbox() as running:
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("LIVEKIT_URL", running.url)
        yield running


async def run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def assert_private(text: str) -> None:
    for secret in (PASSWORD, USERNAME, BRIEFING_NUMBER, *OUTBOUND_NUMBERS, "5550190", "5550199"):
        assert secret not in text


async def test_provision_then_again_then_list(sandbox: LiveKitSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("provision") == 0
    first = capsys.readouterr().out
    trunk_id = next(iter(sandbox.outbound_trunks))
    assert f"set DIALER_SIP_OUTBOUND_TRUNK_ID={trunk_id}" in first
    assert [r.method for r in writes(sandbox.requests)] == [
        "CreateSIPOutboundTrunk", "CreateSIPInboundTrunk", "CreateSIPDispatchRule"]

    seen = len(sandbox.requests)
    assert await run("provision") == 0
    second = capsys.readouterr().out
    assert "no changes: LiveKit matches the configuration" in second
    assert writes(sandbox.requests[seen:]) == []

    assert await run("trunks", "list") == 0
    listing = capsys.readouterr().out
    inbound_id, rule_id = next(iter(sandbox.inbound_trunks)), next(iter(sandbox.dispatch_rules))
    assert f"  {trunk_id}  'dialer-outbound'  example.pstn.twilio.com  tls  numbers [+1********90, +1********91]" \
        in listing
    assert f"  {inbound_id}  'dialer-briefing-inbound'  numbers [+1********99]  krisp on" in listing
    assert (f"  {rule_id}  'dialer-briefing-rule'  individual(room_prefix=briefing-call-)  trunks [{inbound_id}]  "
            'agents=[dialer-agent {"mode": "briefing"}]') in listing
    assert "note: DIALER_SIP_OUTBOUND_TRUNK_ID=ST_sandbox is not an outbound trunk of this LiveKit" in listing
    assert_private(first + second + listing)


async def test_dry_run_prints_the_plan_and_writes_nothing(
    sandbox: LiveKitSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("provision", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "(dry run: nothing is changed)" in out
    assert "+ create outbound trunk 'dialer-outbound': address=example.pstn.twilio.com, transport=tls, " \
           "numbers=[+1********90, +1********91], auth_username=(set), auth_password=(set)" in out
    assert "+ create inbound trunk 'dialer-briefing-inbound': numbers=[+1********99], krisp_enabled=on" in out
    assert "trunk_ids=[(the new inbound trunk)]" in out
    assert "dry run: 3 change(s) planned, nothing sent" in out
    assert writes(sandbox.requests) == [] and sandbox.requests  # it did list
    assert_private(out)


async def test_a_changed_env_setting_is_one_update(
    sandbox: LiveKitSandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await run("provision") == 0
    seen = len(sandbox.requests)
    monkeypatch.setenv("DIALER_SIP_OUTBOUND_ADDRESS", "sip.telnyx.com")
    capsys.readouterr()
    assert await run("provision") == 0
    assert "    address: example.pstn.twilio.com -> sip.telnyx.com" in capsys.readouterr().out
    assert [r.method for r in writes(sandbox.requests[seen:])] == ["UpdateSIPOutboundTrunk"]


@pytest.mark.parametrize("argv", [["provision"], ["provision", "--dry-run"], ["trunks", "list"]])
async def test_refused_without_livekit_url(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LIVEKIT_URL", raising=False)
    assert await run(*argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("dialer: provisioning needs LIVEKIT_URL")
    assert captured.out == ""


async def test_bad_provisioning_setting_is_named(
    sandbox: LiveKitSandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIALER_SIP_OUTBOUND_ADDRESS", "sip:trunk@example.com")
    assert await run("provision") == 2
    assert "DIALER_SIP_OUTBOUND_ADDRESS: use the carrier's host name or IP" in capsys.readouterr().err
    assert sandbox.requests == []


def test_trunks_needs_a_subcommand() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["trunks"])
    assert build_parser().parse_args(["provision", "--dry-run"]).dry_run is True
