"""A dispatched job that no worker takes: no agent ever joins the room, so the dialer's wait for the agent gives up
(AgentUnavailable) and nothing is rung (issue 12, item 11). On the stage no agent worker is registered at all; the
sandbox half runs without its worker (conftest.py), the way a LiveKit with no worker free behaves."""

from __future__ import annotations

import pytest
from livekit import api

from dialer.telephony.base import AgentUnavailable
from dialer.telephony.livekit import LiveKitTelephony
from tests.stage.conformance.conftest import LiveKitUnderTest


async def test_a_job_no_worker_takes_leaves_the_room_without_an_agent(livekit: LiveKitUnderTest) -> None:
    room = livekit.room("no-agent")
    telephony = LiveKitTelephony(url=livekit.url, api_key=livekit.api_key, api_secret=livekit.api_secret, agent_wait_s=2.0)
    async with livekit.client() as lk:
        try:
            await lk.room.create_room(api.CreateRoomRequest(
                name=room, agents=[api.RoomAgentDispatch(agent_name="dialer-agent", metadata='{"mode": "gap_filling"}')]
            ))
            with pytest.raises(AgentUnavailable, match="no agent took the job within 2 s"):
                await telephony.wait_for_agent(room)
            listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
            dispatches = await lk.agent_dispatch.list_dispatch(room)
        finally:
            await lk.room.delete_room(api.DeleteRoomRequest(room=room))
            await telephony.close()
    assert list(listed.participants) == []
    (dispatch,) = dispatches
    assert dispatch.agent_name == "dialer-agent" and list(dispatch.state.jobs) == []  # dispatched, taken by nobody
