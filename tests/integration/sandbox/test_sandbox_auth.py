"""Tokens and grants are checked as LiveKit checks them, and the raw Twirp wire format holds."""

from __future__ import annotations

import datetime
import json

import aiohttp
import pytest
from livekit import api
from livekit.protocol.sip import ListSIPOutboundTrunkRequest

from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import API_KEY, API_SECRET, dial


def token(video: api.VideoGrants | None = None, sip: api.SIPGrants | None = None, *,
          ttl: datetime.timedelta = datetime.timedelta(minutes=5), secret: str = API_SECRET) -> str:
    tok = api.AccessToken(API_KEY, secret).with_identity("caller-1").with_ttl(ttl)
    if video is not None:
        tok.with_grants(video)
    if sip is not None:
        tok.with_sip_grants(sip)
    return tok.to_jwt()


async def test_token_without_sip_call_cannot_dial(sandbox: LiveKitSandbox) -> None:
    no_sip = token(api.VideoGrants(room_admin=True, room_create=True), api.SIPGrants(admin=True))
    async with api.LiveKitAPI.with_token(no_sip, sandbox.url) as client:
        with pytest.raises(api.ServerError) as caught:
            await dial(client, "+12125550100", "room-a")

    assert (caught.value.code, caught.value.status) == ("permission_denied", 403)
    assert not isinstance(caught.value, api.SipCallError)
    assert sandbox.calls == {} and sandbox.rooms == {}
    assert sandbox.requests[-1].identity == "caller-1" and sandbox.requests[-1].status == 403


async def test_token_with_sip_call_can_dial(sandbox: LiveKitSandbox) -> None:
    async with api.LiveKitAPI.with_token(token(sip=api.SIPGrants(call=True)), sandbox.url) as client:
        info = await dial(client, "+12125550100", "room-a")
    assert info.sip_call_id in sandbox.calls


@pytest.mark.parametrize(
    ("key", "secret"), [(API_KEY, "wrong-secret-0123456789abcdef0123456789"), ("wrong-key", API_SECRET)]
)
async def test_wrong_key_or_secret_is_unauthenticated(sandbox: LiveKitSandbox, key: str, secret: str) -> None:
    async with api.LiveKitAPI(sandbox.url, key, secret) as client:
        with pytest.raises(api.ServerError) as caught:
            await client.room.list_rooms(api.ListRoomsRequest())
    assert (caught.value.code, caught.value.status) == ("unauthenticated", 401)


async def test_expired_token_is_unauthenticated(sandbox: LiveKitSandbox) -> None:
    expired = token(api.VideoGrants(room_list=True), ttl=-datetime.timedelta(minutes=5))
    async with api.LiveKitAPI.with_token(expired, sandbox.url) as client:
        with pytest.raises(api.ServerError) as caught:
            await client.room.list_rooms(api.ListRoomsRequest())
    assert caught.value.status == 401


async def test_each_service_needs_its_grant(sandbox: LiveKitSandbox) -> None:
    only_create = token(api.VideoGrants(room_create=True), api.SIPGrants(call=True))
    async with api.LiveKitAPI.with_token(only_create, sandbox.url) as client:
        await client.room.create_room(api.CreateRoomRequest(name="r"))
        for call in (
            client.room.list_rooms(api.ListRoomsRequest()),
            client.room.list_participants(api.ListParticipantsRequest(room="r")),
            client.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(room="r", agent_name="a")),
            client.sip.list_outbound_trunk(ListSIPOutboundTrunkRequest()),
        ):
            with pytest.raises(api.ServerError) as caught:
                await call
            assert caught.value.code == "permission_denied"


async def test_room_admin_token_for_another_room_is_denied(sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI) -> None:
    await lkapi.room.create_room(api.CreateRoomRequest(name="room-a"))
    await lkapi.room.create_room(api.CreateRoomRequest(name="room-b"))
    room_a_admin = token(api.VideoGrants(room_admin=True, room="room-a"))
    async with api.LiveKitAPI.with_token(room_a_admin, sandbox.url) as client:
        assert (await client.room.list_participants(api.ListParticipantsRequest(room="room-a"))).participants == []
        with pytest.raises(api.ServerError) as caught:
            await client.room.list_participants(api.ListParticipantsRequest(room="room-b"))
    assert caught.value.code == "permission_denied"


async def test_raw_wire_missing_token_bad_route_and_json(sandbox: LiveKitSandbox) -> None:
    url = f"{sandbox.url}/twirp/livekit.RoomService/ListRooms"
    good = {"Authorization": f"Bearer {token(api.VideoGrants(room_list=True, room_create=True))}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=b"", headers={"Content-Type": "application/protobuf"}) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == "unauthenticated"
        async with http.post(f"{sandbox.url}/twirp/livekit.RoomService/Nope", data=b"", headers=good) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == "bad_route"
        async with http.post(url, data=b"\xff\xff", headers={**good, "Content-Type": "application/protobuf"}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == "malformed"
        create = f"{sandbox.url}/twirp/livekit.RoomService/CreateRoom"
        async with http.post(create, json={"name": "json-room", "emptyTimeout": 60}, headers=good) as resp:
            assert resp.status == 200 and resp.content_type == "application/json"
            assert json.loads(await resp.text())["name"] == "json-room"
    assert sandbox.rooms["json-room"].empty_timeout == 60
