"""Outbound calls through the real livekit-api client: each reserved number, both dialling modes,
and every way a call ends."""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.protocol.models import DisconnectReason, ParticipantInfo, RoomEndReason
from livekit.protocol.sip import SIPTransferStatus, TransferSIPParticipantRequest, TransferSIPParticipantResponse

from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import API_KEY, API_SECRET, START, SandboxFactory, WebhookSink, dial


@pytest.mark.parametrize(
    ("number", "answered_by"),
    [
        ("+12125550100", "human"),
        ("+14155550105", "human"),
        ("+19075550109", "human"),
        ("+12125550115", "machine"),
        ("+12125550116", "human"),
        ("+12125550150", "human"),
        ("+442071838750", "human"),
    ],
)
async def test_answered_numbers_return_the_participant(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, number: str, answered_by: str
) -> None:
    info = await dial(lkapi, number, "room-a", participant_attributes={"dialer.attemptId": "att-1"})

    assert info.room_name == "room-a" and info.sip_call_id.startswith("SCL_")
    assert info.participant_identity == f"sip_{number}"
    participant = await lkapi.room.get_participant(
        api.RoomParticipantIdentity(room="room-a", identity=info.participant_identity)
    )
    assert participant.kind == ParticipantInfo.Kind.SIP
    assert participant.sid == info.participant_id
    attributes = dict(participant.attributes)
    assert attributes.pop("sip.callIDFull") and attributes.pop("sip.callTag")  # random, as the SIP dialog's
    assert attributes == {
        "dialer.attemptId": "att-1",
        "sip.callStatus": "active",
        "sip.callID": info.sip_call_id,
        "sip.phoneNumber": number,
        "sip.trunkID": "ST_sandbox",
        "sip.trunkPhoneNumber": "+12125550199",
        "sip.hostname": "sip.sandbox.invalid",
        "sandbox.answeredBy": answered_by,
    }
    assert sandbox.calls[info.sip_call_id].status == "active"


@pytest.mark.parametrize(
    ("number", "code", "status", "twirp_code", "reason"),
    [
        ("+12125550110", 486, "Busy Here", "resource_exhausted", DisconnectReason.USER_REJECTED),
        ("+12125550111", 480, "Temporarily Unavailable", "resource_exhausted", DisconnectReason.USER_UNAVAILABLE),
        ("+12125550112", 603, "Decline", "permission_denied", DisconnectReason.USER_REJECTED),
        ("+12125550113", 404, "Not Found", "not_found", DisconnectReason.USER_UNAVAILABLE),
        ("+12125550114", 503, "Service Unavailable", "failed_precondition", DisconnectReason.CLIENT_INITIATED),
    ],
)
async def test_failing_numbers_raise_sip_call_error(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink,
    number: str, code: int, status: str, twirp_code: str, reason: DisconnectReason,
) -> None:
    with pytest.raises(api.SipCallError) as caught:
        await dial(lkapi, number, "room-f")

    assert caught.value.sip_status_code == code
    assert caught.value.sip_status == status
    assert caught.value.code == twirp_code
    assert caught.value.status < 500  # never a retryable status: a failed call must not be re-sent
    left = await sink.wait_for_event("participant_left", "room-f")
    assert left.participant.disconnect_reason == reason
    await sink.wait_for_event("room_finished", "room-f")
    assert "room-f" not in sandbox.rooms
    (call,) = sandbox.calls.values()
    assert (call.status, call.sip_status_code) == ("failed", code)


async def test_async_dial_returns_at_once_and_reports_failure_by_webhook(
    lkapi: api.LiveKitAPI, sink: WebhookSink
) -> None:
    info = await dial(lkapi, "+12125550110", "room-async", wait=False)
    assert info.sip_call_id.startswith("SCL_")

    left = await sink.wait_for_event("participant_left", "room-async")
    joined = sink.named("participant_joined", "room-async")[0]
    assert joined.participant.attributes["sip.callStatus"] == "dialing"  # LiveKit joins the bridge before ringing
    assert left.participant.identity == info.participant_identity
    assert left.participant.disconnect_reason == DisconnectReason.USER_REJECTED
    await sink.wait_for_event("room_finished", "room-async")


async def test_async_dial_answer_shows_in_participant_attributes(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    info = await dial(lkapi, "+12125550116", "room-async", wait=False)
    await sandbox.wait_until(lambda: sandbox.calls[info.sip_call_id].status == "active")

    participant = await lkapi.room.get_participant(
        api.RoomParticipantIdentity(room="room-async", identity=info.participant_identity)
    )
    assert participant.attributes["sip.callStatus"] == "active"
    joined = await sink.wait_for_event("participant_joined", "room-async")
    assert joined.participant.kind == ParticipantInfo.Kind.SIP


async def test_ringing_timeout_shorter_than_ring_delay_fails_unanswered(
    make_sandbox: SandboxFactory, sink: WebhookSink
) -> None:
    sandbox = await make_sandbox(ring_delay_s=3600)
    async with api.LiveKitAPI(sandbox.url, API_KEY, API_SECRET) as lkapi:
        with pytest.raises(api.ServerError) as caught:
            await dial(lkapi, "+12125550100", "room-rt", ringing_timeout=Duration(nanos=20_000_000))

    assert not isinstance(caught.value, api.SipCallError)  # LiveKit sends no SIP status on a ringing timeout
    assert (caught.value.code, caught.value.status) == ("canceled", 408)
    left = await sink.wait_for_event("participant_left", "room-rt")
    assert left.participant.disconnect_reason == DisconnectReason.USER_UNAVAILABLE


async def test_max_call_duration_does_not_end_an_answered_call(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox
) -> None:
    """As livekit/sip v1.8.0: max_call_duration bounds the dialling only (tests/stage/conformance)."""
    info = await dial(lkapi, "+12125550116", "room-max", max_call_duration=Duration(nanos=20_000_000))

    await asyncio.sleep(0.1)  # five times the maximum
    assert sandbox.calls[info.sip_call_id].status == "active"


async def test_auto_hangup_scales_talk_time_and_0116_never_hangs_up(
    make_sandbox: SandboxFactory, sink: WebhookSink
) -> None:
    sandbox = await make_sandbox(auto_hangup=True, talk_time_scale=0.0005)  # 0100: 10 s -> 5 ms
    async with api.LiveKitAPI(sandbox.url, API_KEY, API_SECRET) as lkapi:
        forever = await dial(lkapi, "+12125550116", "room-forever")
        short = await dial(lkapi, "+12125550100", "room-short")

    left = await sink.wait_for_event("participant_left", "room-short")
    assert left.participant.disconnect_reason == DisconnectReason.CLIENT_INITIATED
    assert sandbox.calls[short.sip_call_id].status == "hangup"
    assert sandbox.calls[forever.sip_call_id].status == "active"  # 0116 has no hang-up scheduled at all
    assert sandbox.calls[forever.sip_call_id].timers == []


async def test_hang_up_sends_participant_left_and_room_finished(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    info = await dial(lkapi, "+12125550116", "room-h")
    await sandbox.hang_up("room-h")

    finished = await sink.wait_for_event("room_finished", "room-h")
    names = [e.event for e in sink.events if e.room.name == "room-h"]
    assert names == ["room_started", "participant_joined", "track_published", "track_unpublished",
                     "participant_left", "room_finished"]
    left = sink.named("participant_left", "room-h")[0]
    assert left.participant.identity == info.participant_identity
    assert left.participant.state == ParticipantInfo.State.DISCONNECTED
    assert left.participant.disconnect_reason == DisconnectReason.CLIENT_INITIATED
    assert left.participant.attributes["sip.callStatus"] == "hangup"
    assert finished.room.name == "room-h" and finished.created_at == int(START)
    assert sink.rejected == []
    with pytest.raises(LookupError):
        await sandbox.hang_up("room-h")


async def test_delete_room_ends_the_call(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink) -> None:
    info = await dial(lkapi, "+12125550116", "room-d")
    await lkapi.room.delete_room(api.DeleteRoomRequest(room="room-d"))

    finished = await sink.wait_for_event("room_finished", "room-d")
    assert finished.room_end_reason == RoomEndReason.ROOM_END_API_DELETE
    assert sink.named("participant_left", "room-d")[0].participant.disconnect_reason == DisconnectReason.ROOM_DELETED
    assert sandbox.calls[info.sip_call_id].status == "hangup"
    with pytest.raises(api.ServerError) as caught:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room="room-d"))
    assert (caught.value.code, caught.value.status) == ("not_found", 404)


async def test_remove_participant_ends_the_call(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    info = await dial(lkapi, "+12125550116", "room-r")
    await lkapi.room.remove_participant(api.RoomParticipantIdentity(room="room-r", identity=info.participant_identity))

    left = await sink.wait_for_event("participant_left", "room-r")
    assert left.participant.disconnect_reason == DisconnectReason.PARTICIPANT_REMOVED
    assert sandbox.calls[info.sip_call_id].status == "hangup"
    assert sandbox.calls[info.sip_call_id].timers == []


async def test_dialling_the_same_identity_twice_replaces_the_first_participant(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    first = await dial(lkapi, "+12125550116", "room-dup", participant_identity="candidate-1")
    second = await dial(lkapi, "+12125550116", "room-dup", participant_identity="candidate-1")

    left = await sink.wait_for_event("participant_left", "room-dup")
    assert left.participant.sid == first.participant_id
    assert left.participant.disconnect_reason == DisconnectReason.DUPLICATE_IDENTITY
    assert sandbox.participants["room-dup"]["candidate-1"].sid == second.participant_id


async def test_dial_creates_the_room_and_keeps_an_existing_one(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    room = await lkapi.room.create_room(api.CreateRoomRequest(name="pre-made", metadata="m"))
    await dial(lkapi, "+12125550116", "pre-made")
    await dial(lkapi, "+12125550116", "made-by-dial")

    assert sandbox.rooms["pre-made"].sid == room.sid and sandbox.rooms["pre-made"].num_participants == 1
    assert "made-by-dial" in sandbox.rooms


async def test_hide_phone_number_keeps_it_out_of_attributes(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    info = await dial(lkapi, "+12125550116", "room-hide", hide_phone_number=True, participant_identity="cand")
    attributes = sandbox.participants["room-hide"][info.participant_identity].attributes
    assert "sip.phoneNumber" not in attributes


@pytest.mark.parametrize(("trunk_id", "code"), [("ST_unknown", "not_found"), ("", "invalid_argument")])
async def test_bad_trunk_is_refused(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, trunk_id: str, code: str) -> None:
    with pytest.raises(api.ServerError) as caught:
        await dial(lkapi, "+12125550100", "room-x", sip_trunk_id=trunk_id)
    assert caught.value.code == code
    assert sandbox.calls == {}


async def test_missing_room_or_number_is_invalid(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    for number, room in (("+12125550100", ""), ("", "room-x"), ("alice@example.com", "room-x")):
        with pytest.raises(api.ServerError) as caught:
            await dial(lkapi, number, room)
        assert (caught.value.code, caught.value.status) == ("invalid_argument", 400)
    assert sandbox.calls == {}


async def test_transfer_succeeds_and_the_participant_leaves(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    info = await dial(lkapi, "+12125550116", "room-t")
    response = await lkapi.sip.transfer_sip_participant(TransferSIPParticipantRequest(
        room_name="room-t", participant_identity=info.participant_identity, transfer_to="tel:+12125550100",
    ))

    assert response == TransferSIPParticipantResponse()  # livekit/sip's empty reply: status ONGOING
    assert response.status == SIPTransferStatus.STS_TRANSFER_ONGOING
    left = await sink.wait_for_event("participant_left", "room-t")
    assert left.participant.disconnect_reason == DisconnectReason.CLIENT_INITIATED
    assert sandbox.calls[info.sip_call_id].transferred_to == "+12125550100"


async def test_transfer_to_a_busy_number_raises_sip_call_error(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    info = await dial(lkapi, "+12125550116", "room-t")
    with pytest.raises(api.SipCallError) as caught:
        await lkapi.sip.transfer_sip_participant(TransferSIPParticipantRequest(
            room_name="room-t", participant_identity=info.participant_identity, transfer_to="sip:+12125550110@pbx",
        ))

    assert caught.value.sip_status_code == 486
    assert caught.value.sip_transfer_reason == "STR_REJECTED"
    assert sandbox.calls[info.sip_call_id].status == "active"


async def test_transfer_needs_a_sip_or_tel_target(lkapi: api.LiveKitAPI) -> None:
    info = await dial(lkapi, "+12125550116", "room-t")
    with pytest.raises(api.ServerError) as caught:
        await lkapi.sip.transfer_sip_participant(TransferSIPParticipantRequest(
            room_name="room-t", participant_identity=info.participant_identity, transfer_to="+12125550100",
        ))
    assert caught.value.code == "invalid_argument"
