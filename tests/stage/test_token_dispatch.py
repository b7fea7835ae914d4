"""A join token's room configuration dispatching an agent, on real LiveKit only (the sandbox speaks no WebRTC, so
nobody can join a sandbox room): the first participant to join with such a token creates the room, and livekit-server
dispatches the agent named there, with its metadata, once."""

from __future__ import annotations

import json
import uuid

import pytest
from livekit import api, rtc
from livekit.protocol.room import RoomConfiguration

from tests.stage.stage import Stage

pytestmark = pytest.mark.stage


def _token(stage: Stage, room: str, identity: str, config: RoomConfiguration) -> str:
    return (api.AccessToken(stage.api_key, stage.api_secret).with_identity(identity)
            .with_grants(api.VideoGrants(room_join=True, room=room)).with_room_config(config).to_jwt())


async def test_a_join_tokens_room_configuration_dispatches_its_agent_once(stage: Stage) -> None:
    room_name = f"token-{uuid.uuid4().hex[:8]}"
    metadata = json.dumps({"mode": "briefing", "interview_id": "int_1"})
    config = RoomConfiguration(agents=[api.RoomAgentDispatch(agent_name="token-agent", metadata=metadata)])
    first, second = rtc.Room(), rtc.Room()
    await first.connect(stage.ws_url, _token(stage, room_name, "first", config))
    try:
        await second.connect(stage.ws_url, _token(stage, room_name, "second", config))  # the room exists by now
        async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
            dispatches = await lk.agent_dispatch.list_dispatch(room_name)
            await second.disconnect()
            await first.disconnect()
            await lk.room.delete_room(api.DeleteRoomRequest(room=room_name))
    finally:
        await second.disconnect()
        await first.disconnect()
    assert [(d.agent_name, d.metadata, d.room) for d in dispatches] == [("token-agent", metadata, room_name)]
