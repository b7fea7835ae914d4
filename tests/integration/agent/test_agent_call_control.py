"""LiveKitCallControl at the wire level: the real livekit-api client against the dialer's LiveKit sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit import api
from livekit.protocol.sip import CreateSIPParticipantRequest, SIPParticipantInfo

from agent.call_control import LiveKitCallControl, TransferFailed
from sandbox import LiveKitSandbox

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
