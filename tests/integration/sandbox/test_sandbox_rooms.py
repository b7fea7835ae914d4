"""RoomService and AgentDispatchService through the real client, and what the sandbox records."""

from __future__ import annotations

import pytest
from livekit import api

from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import START, FakeClock, WebhookSink, dial


async def test_create_list_delete_rooms(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink) -> None:
    created = await lkapi.room.create_room(api.CreateRoomRequest(name="r1", metadata="m1", empty_timeout=60))
    again = await lkapi.room.create_room(api.CreateRoomRequest(name="r1", metadata="other"))
    await lkapi.room.create_room(api.CreateRoomRequest(name="r2"))

    assert created.sid.startswith("RM_") and again.sid == created.sid and again.metadata == "m1"
    assert created.creation_time == int(START) and created.empty_timeout == 60
    listed = await lkapi.room.list_rooms(api.ListRoomsRequest())
    assert sorted(r.name for r in listed.rooms) == ["r1", "r2"]
    only = await lkapi.room.list_rooms(api.ListRoomsRequest(names=["r2", "missing"]))
    assert [r.name for r in only.rooms] == ["r2"]

    await lkapi.room.delete_room(api.DeleteRoomRequest(room="r1"))
    assert list(sandbox.rooms) == ["r2"]
    await sink.wait_for_event("room_finished", "r1")
    assert len(sink.named("room_started")) == 2  # CreateRoom on an existing room starts nothing


async def test_participants_get_update_and_not_found(lkapi: api.LiveKitAPI) -> None:
    info = await dial(lkapi, "+12125550116", "r", participant_identity="cand-7", participant_metadata="{}")
    listed = await lkapi.room.list_participants(api.ListParticipantsRequest(room="r"))
    assert [p.identity for p in listed.participants] == ["cand-7"]

    updated = await lkapi.room.update_participant(api.UpdateParticipantRequest(
        room="r", identity="cand-7", metadata='{"mode": "gap"}', attributes={"dialer.mode": "gap", "sip.callID": ""},
    ))
    assert updated.metadata == '{"mode": "gap"}'
    assert updated.attributes["dialer.mode"] == "gap" and "sip.callID" not in updated.attributes
    assert updated.attributes["sip.callStatus"] == "active"

    with pytest.raises(api.ServerError) as caught:
        await lkapi.room.get_participant(api.RoomParticipantIdentity(room="r", identity="nobody"))
    assert (caught.value.code, caught.value.status) == ("not_found", 404)
    nobody = await lkapi.room.list_participants(api.ListParticipantsRequest(room="no-room"))
    assert list(nobody.participants) == []  # as livekit-server answers (tests/stage/conformance)
    assert info.participant_identity == "cand-7"


async def test_create_room_with_agents_records_dispatches(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    await lkapi.room.create_room(api.CreateRoomRequest(
        name="r", agents=[api.RoomAgentDispatch(agent_name="dialer-agent", metadata='{"mode": "gap"}')],
    ))

    (dispatch,) = sandbox.dispatches
    assert (dispatch.agent_name, dispatch.room, dispatch.metadata) == ("dialer-agent", "r", '{"mode": "gap"}')
    assert dispatch.id.startswith("AD_")
    assert [d.id for d in await lkapi.agent_dispatch.list_dispatch("r")] == [dispatch.id]


async def test_explicit_dispatch_round_trip(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, clock: FakeClock) -> None:
    created = await lkapi.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
        agent_name="dialer-agent", room="call-1", metadata='{"callId": "c1", "token": "scoped"}',
    ))

    assert "call-1" in sandbox.rooms  # dispatching into a missing room creates it, as LiveKit does
    assert created.state.created_at == int(START * 1e9)
    assert sandbox.dispatches[0].metadata == '{"callId": "c1", "token": "scoped"}'
    assert await lkapi.agent_dispatch.get_dispatch(created.id, "call-1") == created
    assert await lkapi.agent_dispatch.get_dispatch("AD_missing", "call-1") is None

    clock.advance(5)
    deleted = await lkapi.agent_dispatch.delete_dispatch(created.id, "call-1")
    assert deleted.state.deleted_at == int((START + 5) * 1e9)
    assert await lkapi.agent_dispatch.list_dispatch("call-1") == []
    with pytest.raises(api.ServerError) as caught:
        await lkapi.agent_dispatch.delete_dispatch(created.id, "call-1")
    assert caught.value.code == "not_found"


async def test_every_request_is_recorded(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, clock: FakeClock) -> None:
    clock.advance(42)
    info = await dial(lkapi, "+12125550116", "r")

    record = sandbox.requests_for("CreateSIPParticipant")[0]
    assert (record.service, record.method, record.status, record.ok) == ("SIP", "CreateSIPParticipant", 200, True)
    assert record.request is not None and getattr(record.request, "sip_call_to") == "+12125550116"
    assert record.received_at == START + 42
    assert record.claims is not None and record.claims.sip is not None and record.claims.sip.call
    assert record.request_id  # the client's idempotency key (X-Livekit-Request-Id)
    assert sandbox.calls[info.sip_call_id].placed_at == START + 42
