"""A REFER the callee's phone refuses (603): TransferSIPParticipant fails with the phone's SIP status (not a reply
whose status says FAILED), and the call goes on: the callee is still there until someone hangs up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from livekit import api
from livekit.api.twirp_client import ServerError, SipCallError
from livekit.protocol.sip import CreateSIPParticipantRequest, TransferSIPParticipantRequest

from tests.stage.fixtures import create_outbound_trunk
from tests.stage.phone import SipPhone
from tests.stage.rtp_media import Silence
from tests.stage.sipp_scenario import CallScript
from tests.stage.stage import Stage

pytestmark = pytest.mark.stage

NUMBER = "+12125550143"


@pytest.fixture
def refusing_phone(stage: Stage, tmp_path: Path) -> Iterator[SipPhone]:
    phone = SipPhone(tmp_path / "phone", {NUMBER: CallScript("answer", ring_s=0, media=(Silence(60.0),),
                                                             refer="reject")}, at=stage.namespace.outer)
    phone.start()
    stage.processes.append(phone.process)
    yield phone
    phone.stop()


async def test_a_refused_refer_is_an_error_with_the_phones_sip_status_and_the_call_goes_on(
    stage: Stage, refusing_phone: SipPhone,
) -> None:
    room = f"refer-{uuid.uuid4().hex[:8]}"
    trunk_id = await create_outbound_trunk(stage, refusing_phone.address, "refusing phone")
    async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
        await lk.sip.create_sip_participant(CreateSIPParticipantRequest(
            sip_trunk_id=trunk_id, sip_call_to=NUMBER, room_name=room, participant_identity="callee",
            wait_until_answered=True,
        ), timeout=30)
        with pytest.raises(ServerError) as raised:
            await lk.sip.transfer_sip_participant(TransferSIPParticipantRequest(
                room_name=room, participant_identity="callee", transfer_to="tel:+12125550100",
            ))
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    error = raised.value
    assert isinstance(error, SipCallError)  # the phone's answer to the REFER, as for a rejected INVITE
    assert (error.code, error.status, error.sip_status_code) == ("permission_denied", 403, 603)
    assert error.message.endswith("sip status: 603: Decline"), error.message
    [callee] = [p for p in listed.participants if p.identity == "callee"]
    assert callee.attributes["sip.callStatus"] == "active"
    refer = await refusing_phone.await_event("REFER_REJECTED", callee=NUMBER, timeout_s=5)
    assert refer.event == "REFER_REJECTED"
