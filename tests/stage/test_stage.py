"""The stage itself: real LiveKit reaches the phone, the phone answers by the number, and hears what LiveKit sends."""

from __future__ import annotations

import uuid

import pytest
from livekit import api
from livekit.protocol.sip import CreateSIPParticipantRequest

from tests.stage.build import cache_dir, ensure_binaries
from tests.stage.fixtures import StageTrunk
from tests.stage.phone import SipPhone
from tests.stage.stage import Stage

pytestmark = pytest.mark.stage


def test_a_second_build_builds_nothing(stage: Stage) -> None:
    built: list[str] = []
    again = ensure_binaries(log=built.append)
    assert built == []
    assert again.livekit_server.parent == cache_dir() == stage.binaries.livekit_server.parent
    assert (again.server_version, again.sip_version) == ("v1.13.5", "v1.8.0")


async def test_livekit_sip_dials_the_phone_and_the_callee_answers(stage: Stage, phone: SipPhone,
                                                                  stage_trunk: StageTrunk) -> None:
    room = f"stage-{uuid.uuid4().hex[:8]}"
    async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
        info = await lk.sip.create_sip_participant(CreateSIPParticipantRequest(
            sip_trunk_id=stage_trunk.trunk_id, sip_call_to="+12125550116", room_name=room,
            participant_identity="callee", wait_until_answered=True,
        ), timeout=30)
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        sip_call_id = listed.participants[0].attributes["sip.callIDFull"]  # the SIP Call-ID the phone saw
        invite = phone.wait_event("INVITE", call_id=sip_call_id, timeout_s=5)
        assert invite.fields["callee"] == "+12125550116"
        assert invite.fields["caller"] == stage_trunk.caller_id
        phone.wait_event("ANSWERED", call_id=invite.call_id, timeout_s=5)
        assert info.participant_identity == "callee"
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    phone.wait_event("BYE_RECEIVED", call_id=invite.call_id, timeout_s=10)
