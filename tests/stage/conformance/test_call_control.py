"""Transfer, maximum call duration and explicit agent dispatch, on the sandbox and on real LiveKit."""

from __future__ import annotations

import asyncio
import json

from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.protocol.models import DisconnectReason
from livekit.protocol.sip import CreateSIPParticipantRequest, SIPTransferStatus, TransferSIPParticipantRequest

from tests.stage.conformance.conftest import LiveKitUnderTest


def _answered(livekit: LiveKitUnderTest, room: str, number: str = "+12125550116",
              **fields: object) -> CreateSIPParticipantRequest:
    return CreateSIPParticipantRequest(
        sip_trunk_id=livekit.trunk_id, sip_call_to=number, room_name=room, participant_identity="callee",
        wait_until_answered=True, **fields,  # type: ignore[arg-type]
    )


async def test_a_transfer_is_answered_with_an_empty_reply_and_the_callee_leaves(livekit: LiveKitUnderTest) -> None:
    """livekit/sip v1.8.0 answers TransferSIPParticipant with an empty reply (status ONGOING, the enum's zero)
    once the phone accepted the REFER and confirmed it; the callee then hangs up."""
    room = livekit.room()
    async with livekit.client() as lk:
        await lk.sip.create_sip_participant(_answered(livekit, room), timeout=30)
        reply = await lk.sip.transfer_sip_participant(TransferSIPParticipantRequest(
            room_name=room, participant_identity="callee", transfer_to="tel:+12125550100",
        ))
    assert reply == type(reply)()  # nothing set: no transfer id, no SIP status
    assert reply.status == SIPTransferStatus.STS_TRANSFER_ONGOING
    left = await livekit.wait_event("participant_left", room)
    assert left.participant.disconnect_reason == DisconnectReason.CLIENT_INITIATED
    assert left.participant.attributes["sip.callStatus"] == "hangup"
    if livekit.phone is not None:
        refer = livekit.phone.wait_event("REFER", callee="+12125550116", timeout_s=5)
        assert refer.fields["target"] == "tel:+12125550100"


async def test_max_call_duration_does_not_end_an_answered_call(livekit: LiveKitUnderTest) -> None:
    """livekit/sip v1.8.0 applies ``max_call_duration`` to dialling only (the context it bounds ends once the call
    is answered): an answered call runs past it. The dialer cannot rely on it to cap a call's length."""
    room = livekit.room()
    async with livekit.client() as lk:
        await lk.sip.create_sip_participant(_answered(livekit, room, max_call_duration=Duration(seconds=1)),
                                            timeout=30)
        await asyncio.sleep(3.0)  # three times the maximum: nothing here has a signal for "did not happen"
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        before_delete = livekit.names(room)
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    [callee] = [p for p in listed.participants if p.identity == "callee"]
    assert callee.attributes["sip.callStatus"] == "active"
    assert "participant_left" not in before_delete


async def test_create_room_dispatches_the_agent_named_in_its_configuration(livekit: LiveKitUnderTest) -> None:
    room = livekit.room()
    metadata = json.dumps({"mode": "gap_filling", "call_id": "call_1"})
    async with livekit.client() as lk:
        created = await lk.room.create_room(api.CreateRoomRequest(
            name=room, agents=[api.RoomAgentDispatch(agent_name="dialer-agent", metadata=metadata)],
        ))
        again = await lk.room.create_room(api.CreateRoomRequest(
            name=room, agents=[api.RoomAgentDispatch(agent_name="dialer-agent", metadata=metadata)],
        ))
        dispatches = await lk.agent_dispatch.list_dispatch(room)
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    assert again.sid == created.sid  # an existing room comes back unchanged: no second dispatch
    assert [(d.agent_name, d.metadata, d.room) for d in dispatches] == [("dialer-agent", metadata, room)]
    assert dispatches[0].id.startswith("AD_")


async def test_a_room_created_without_agents_gets_the_automatic_dispatch(livekit: LiveKitUnderTest) -> None:
    """livekit-server dispatches a room created without agents to workers registered with no agent name."""
    room = livekit.room()
    async with livekit.client() as lk:
        await lk.room.create_room(api.CreateRoomRequest(name=room))
        dispatches = await lk.agent_dispatch.list_dispatch(room)
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    assert [(d.agent_name, d.room) for d in dispatches] == [("", room)]
