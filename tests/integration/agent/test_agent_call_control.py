"""LiveKitCallControl at the wire level: the real livekit-api client against the LiveKit sandbox, and against a
Twirp stub for the answers the sandbox does not give."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from livekit import api
from livekit.protocol.sip import (
    CreateSIPParticipantRequest,
    SIPParticipantInfo,
    SIPStatus,
    SIPStatusCode,
    SIPTransferStatus,
    TransferSIPParticipantResponse,
)

from agent import call_control
from agent.call_control import LiveKitCallControl, TransferFailed
from sandbox import LiveKitSandbox
from tests.twirp_stub import TwirpStub

KEY, SECRET = "agent-test-key", "agent-test-secret-0123456789abcdef0123"
NEVER_HANGS_UP = "+12125550116"


@pytest.fixture
async def sandbox() -> AsyncIterator[LiveKitSandbox]:
    box = LiveKitSandbox(api_key=KEY, api_secret=SECRET, ring_delay_s=0.0, auto_hangup=False)
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


@pytest.fixture
async def lkapi(sandbox: LiveKitSandbox) -> AsyncIterator[api.LiveKitAPI]:
    async with api.LiveKitAPI(sandbox.url, KEY, SECRET) as client:
        yield client


async def answered_call(lkapi: api.LiveKitAPI, room: str) -> SIPParticipantInfo:
    return await lkapi.sip.create_sip_participant(CreateSIPParticipantRequest(
        sip_trunk_id="ST_sandbox", sip_call_to=NEVER_HANGS_UP, room_name=room, wait_until_answered=True,
    ))


async def test_transfer_refers_the_caller(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    info = await answered_call(lkapi, "room-t")
    control = LiveKitCallControl(lkapi, room_name="room-t", participant_identity=info.participant_identity)
    assert control.can_transfer
    await control.transfer("tel:+12125550100")
    assert sandbox.calls[info.sip_call_id].transferred_to == "+12125550100"


async def test_refused_transfer_carries_the_sip_status(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    info = await answered_call(lkapi, "room-b")
    control = LiveKitCallControl(lkapi, room_name="room-b", participant_identity=info.participant_identity)
    with pytest.raises(TransferFailed) as raised:
        await control.transfer("tel:+12125550110")  # the sandbox's busy number
    assert raised.value.sip_status == 486
    assert sandbox.calls[info.sip_call_id].status == "active"  # the candidate is still with us


async def test_web_participants_cannot_be_transferred(lkapi: api.LiveKitAPI) -> None:
    control = LiveKitCallControl(lkapi, room_name="room-w", participant_identity=None)
    assert not control.can_transfer
    with pytest.raises(TransferFailed):
        await control.transfer("tel:+12125550100")


async def test_hang_up_deletes_the_room_and_ends_the_call(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    info = await answered_call(lkapi, "room-h")
    control = LiveKitCallControl(lkapi, room_name="room-h", participant_identity=info.participant_identity)
    await control.hang_up()
    assert "room-h" not in sandbox.rooms
    assert sandbox.calls[info.sip_call_id].status == "hangup"
    await control.hang_up()  # already gone: not an error


@pytest.fixture
async def stub() -> AsyncIterator[TwirpStub]:
    server = TwirpStub()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


TRANSFER = "livekit.SIP/TransferSIPParticipant"


async def test_a_transfer_answered_failed_is_a_failure(stub: TwirpStub) -> None:
    """livekit-api raises nothing when the reply says FAILED: the status itself must be read."""
    stub.answers[TRANSFER] = TransferSIPParticipantResponse(
        status=SIPTransferStatus.STS_TRANSFER_FAILED, sip_status=SIPStatus(code=SIPStatusCode.SIP_STATUS_BUSY_HERE)
    )
    async with api.LiveKitAPI(stub.url, KEY, SECRET) as lkapi:
        control = LiveKitCallControl(lkapi, room_name="room-f", participant_identity="callee-1")
        with pytest.raises(TransferFailed) as raised:
            await control.transfer("tel:+12125550100")
    assert raised.value.sip_status == 486


async def test_an_empty_transfer_reply_is_ongoing_and_not_a_failure(stub: TwirpStub) -> None:
    """livekit/sip v1.8 answers a REFER its far end accepted with an empty reply, which decodes as ONGOING."""
    stub.answers[TRANSFER] = TransferSIPParticipantResponse()
    async with api.LiveKitAPI(stub.url, KEY, SECRET) as lkapi:
        control = LiveKitCallControl(lkapi, room_name="room-o", participant_identity="callee-1")
        await control.transfer("tel:+12125550100")
    assert len(stub.requests[TRANSFER]) == 1


async def test_hang_up_survives_an_unreachable_livekit(caplog: pytest.LogCaptureFixture) -> None:
    """A refused connection (not a TwirpError) must not escape: the job's shutdown still runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    async with api.LiveKitAPI(f"http://127.0.0.1:{port}", KEY, SECRET) as lkapi:
        control = LiveKitCallControl(lkapi, room_name="room-x", participant_identity="callee-1")
        await control.hang_up()
    assert "could not reach LiveKit to hang up" in caplog.text


async def test_hang_up_gives_up_on_a_livekit_that_never_answers(
    stub: TwirpStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    never = asyncio.Event()

    async def hanging_delete(_request: object) -> None:
        await never.wait()

    monkeypatch.setattr(call_control, "HANG_UP_TIMEOUT_S", 0.05)
    async with api.LiveKitAPI(stub.url, KEY, SECRET) as lkapi:
        monkeypatch.setattr(lkapi.room, "delete_room", hanging_delete)
        control = LiveKitCallControl(lkapi, room_name="room-y", participant_identity="callee-1")
        await control.hang_up()  # returns after the bound instead of hanging the job's shutdown
