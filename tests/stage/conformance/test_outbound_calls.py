"""CreateSIPParticipant as the dialer uses it (``wait_until_answered``), on the sandbox and on real LiveKit.

What real LiveKit (livekit-server v1.13.5, livekit-sip v1.8.0) answers is the truth each test states; the sandbox is
made to answer the same. Reserved numbers as in README "Sandbox test numbers" (area code 212).
"""

from __future__ import annotations

import pytest
from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.api.twirp_client import ServerError, SipCallError
from livekit.protocol.models import DisconnectReason, ParticipantInfo
from livekit.protocol.sip import CreateSIPParticipantRequest

from tests.stage.conformance.conftest import LiveKitUnderTest


def _dial(livekit: LiveKitUnderTest, number: str, room: str, **fields: object) -> CreateSIPParticipantRequest:
    return CreateSIPParticipantRequest(
        sip_trunk_id=livekit.trunk_id, sip_call_to=number, room_name=room, participant_identity="callee",
        participant_attributes={"dialer.call_id": "call_1", "dialer.mode": "gap_filling"},
        wait_until_answered=True, **fields,  # type: ignore[arg-type]
    )


FAILURES = [
    # number, SIP code, Twirp code, HTTP status, livekit/sip's message, disconnect reason, last sip.callStatus
    ("+12125550110", 486, "resource_exhausted", 429, "INVITE failed: sip status: 486: Busy Here",
     DisconnectReason.USER_REJECTED, "dialing"),
    ("+12125550111", 480, "resource_exhausted", 429, "INVITE failed: sip status: 480: Temporarily Unavailable",
     DisconnectReason.USER_UNAVAILABLE, "ringing"),
    ("+12125550112", 603, "permission_denied", 403,
     "unexpected status from INVITE response: sip status: 603: Decline", DisconnectReason.USER_REJECTED, "ringing"),
    ("+12125550113", 404, "not_found", 404, "INVITE failed: sip status: 404: Not Found",
     DisconnectReason.USER_UNAVAILABLE, "dialing"),
    ("+12125550114", 503, "failed_precondition", 412,
     "unexpected status from INVITE response: sip status: 503: Service Unavailable",
     DisconnectReason.CLIENT_INITIATED, "dialing"),
]


@pytest.mark.parametrize("number,sip_code,twirp_code,http_status,message,reason,last_status", FAILURES,
                         ids=[f[0][-4:] for f in FAILURES])
async def test_a_rejected_call_is_a_sip_call_error_with_the_carriers_code(
    livekit: LiveKitUnderTest, number: str, sip_code: int, twirp_code: str, http_status: int, message: str,
    reason: DisconnectReason, last_status: str,
) -> None:
    room = livekit.room()
    async with livekit.client() as lk:
        with pytest.raises(SipCallError) as raised:
            await lk.sip.create_sip_participant(_dial(livekit, number, room), timeout=30)
    error = raised.value
    assert (error.code, error.status) == (twirp_code, http_status)
    assert error.sip_status_code == sip_code
    assert error.message.endswith(message), error.message
    left = await livekit.wait_event("participant_left", room)
    assert left.participant.disconnect_reason == reason
    assert left.participant.attributes["sip.callStatus"] == last_status
    assert left.participant.kind == ParticipantInfo.Kind.SIP
    names = livekit.names(room)
    assert names.index("room_started") < names.index("participant_joined") < names.index("participant_left")
    joined = await livekit.wait_event("participant_joined", room)
    assert joined.participant.attributes["sip.callStatus"] == "dialing"  # it joins before the phone answers
    assert joined.participant.state == ParticipantInfo.State.ACTIVE


SIP_ATTRIBUTES = {"sip.callID", "sip.callIDFull", "sip.callTag", "sip.callStatus", "sip.hostname",
                  "sip.phoneNumber", "sip.trunkID", "sip.trunkPhoneNumber"}


async def test_an_answered_call_returns_the_sip_participant_with_livekits_attributes(
    livekit: LiveKitUnderTest,
) -> None:
    room = livekit.room()
    async with livekit.client() as lk:
        info = await lk.sip.create_sip_participant(_dial(livekit, "+12125550116", room), timeout=30)
        assert (info.participant_identity, info.room_name) == ("callee", room)
        assert info.sip_call_id.startswith("SCL_") and info.participant_id.startswith("PA_")
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    [callee] = [p for p in listed.participants if p.identity == "callee"]
    assert callee.kind == ParticipantInfo.Kind.SIP
    attributes = dict(callee.attributes)
    assert SIP_ATTRIBUTES <= set(attributes), sorted(attributes)
    assert attributes["sip.callStatus"] == "active"
    assert attributes["sip.callID"] == info.sip_call_id
    assert attributes["sip.phoneNumber"] == "+12125550116"
    assert attributes["sip.trunkID"] == livekit.trunk_id
    assert attributes["sip.trunkPhoneNumber"] == livekit.caller_id
    assert (attributes["dialer.call_id"], attributes["dialer.mode"]) == ("call_1", "gap_filling")


async def test_the_callee_hanging_up_leaves_as_client_initiated_and_the_room_outlives_it_by_its_departure_timeout(
    livekit: LiveKitUnderTest,
) -> None:
    """The 0100 callee hangs up 2 s after answering; the room closes only after its departure time-out."""
    room = livekit.room()
    async with livekit.client() as lk:
        await lk.room.create_room(api.CreateRoomRequest(name=room, departure_timeout=2, empty_timeout=30))
        await lk.sip.create_sip_participant(_dial(livekit, "+12125550100", room), timeout=30)
        left = await livekit.wait_event("participant_left", room, timeout_s=10)
        still_there = await lk.room.list_rooms(api.ListRoomsRequest(names=[room]))
        assert [r.name for r in still_there.rooms] == [room]  # not closed at once: departure_timeout is 2 s
        assert left.participant.disconnect_reason == DisconnectReason.CLIENT_INITIATED
        assert left.participant.attributes["sip.callStatus"] == "hangup"
        await livekit.wait_event("room_finished", room, timeout_s=10)
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        assert list(listed.participants) == []
        with pytest.raises(ServerError) as raised:
            await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    assert (raised.value.code, raised.value.status) == ("not_found", 404)
    names = livekit.names(room)
    assert names.index("participant_left") < names.index("room_finished")


async def test_delete_room_ends_a_live_call_as_room_deleted(livekit: LiveKitUnderTest) -> None:
    room = livekit.room()
    async with livekit.client() as lk:
        await lk.sip.create_sip_participant(_dial(livekit, "+12125550116", room), timeout=30)
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
        left = await livekit.wait_event("participant_left", room)
        await livekit.wait_event("room_finished", room)
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        nowhere = await lk.room.list_participants(api.ListParticipantsRequest(room=livekit.room("never")))
        with pytest.raises(ServerError) as raised:
            await lk.room.delete_room(api.DeleteRoomRequest(room=livekit.room("never")))
    assert left.participant.disconnect_reason == DisconnectReason.ROOM_DELETED
    assert list(listed.participants) == [] and list(nowhere.participants) == []  # no error for a missing room
    assert (raised.value.code, raised.value.status) == ("not_found", 404)


async def test_the_ringing_time_out_is_twirp_canceled_without_sip_fields(livekit: LiveKitUnderTest) -> None:
    """0117 rings until cancelled."""
    room = livekit.room()
    async with livekit.client() as lk:
        with pytest.raises(ServerError) as raised:
            await lk.sip.create_sip_participant(
                _dial(livekit, "+12125550117", room, ringing_timeout=Duration(seconds=2)), timeout=30)
    error = raised.value
    assert not isinstance(error, SipCallError)
    assert (error.code, error.status) == ("canceled", 408)
    assert error.message.endswith("sip request timed out"), error.message
    left = await livekit.wait_event("participant_left", room)
    assert left.participant.disconnect_reason == DisconnectReason.USER_UNAVAILABLE
    assert left.participant.attributes["sip.callStatus"] == "ringing"


async def test_a_carrier_that_never_answers_looks_like_a_ringing_time_out_except_for_its_call_status(
    livekit: LiveKitUnderTest,
) -> None:
    """0118 never answers the INVITE. With a ringing time-out under the INVITE transaction's 32 s, livekit/sip
    answers exactly as for a ringing time-out: only the participant's last ``sip.callStatus`` (never ``ringing``)
    tells the two apart."""
    room = livekit.room()
    async with livekit.client() as lk:
        with pytest.raises(ServerError) as raised:
            await lk.sip.create_sip_participant(
                _dial(livekit, "+12125550118", room, ringing_timeout=Duration(seconds=2)), timeout=30)
    error = raised.value
    assert (error.code, error.status) == ("canceled", 408)
    assert error.message.endswith("sip request timed out"), error.message
    left = await livekit.wait_event("participant_left", room)
    assert left.participant.disconnect_reason == DisconnectReason.USER_UNAVAILABLE
    assert left.participant.attributes["sip.callStatus"] == "dialing"
