"""The two time-outs that take real time: the server's 80 s cap on a waiting CreateSIPParticipant, and the INVITE
transaction's 32 s when the carrier never answers and the ringing time-out is longer. Both calls run at once, so
each half of this test takes the cap's 80 s."""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf.duration_pb2 import Duration
from livekit.api.twirp_client import ServerError
from livekit.protocol.sip import CreateSIPParticipantRequest

from tests.stage.conformance.conftest import LiveKitUnderTest


async def _failure(livekit: LiveKitUnderTest, number: str, ringing_timeout_s: int) -> ServerError:
    async with livekit.client() as lk:
        with pytest.raises(ServerError) as raised:
            await lk.sip.create_sip_participant(CreateSIPParticipantRequest(
                sip_trunk_id=livekit.trunk_id, sip_call_to=number, room_name=livekit.room(),
                participant_identity="callee", wait_until_answered=True,
                ringing_timeout=Duration(seconds=ringing_timeout_s),
            ), timeout=150)
    return raised.value


async def test_a_long_ringing_time_out_is_cut_at_80_s_and_a_silent_carrier_fails_at_32_s(
    livekit: LiveKitUnderTest,
) -> None:
    capped, silent = await asyncio.gather(
        _failure(livekit, "+12125550117", 120),  # rings until cancelled; asks for 120 s
        _failure(livekit, "+12125550118", 60),   # never answers the INVITE; the ringing time-out is longer
    )
    assert (capped.code, capped.status) == ("deadline_exceeded", 408)
    assert capped.message.endswith("request timed out") and "sip request" not in capped.message, capped.message
    assert (silent.code, silent.status) == ("canceled", 408)
    assert "transaction failed to complete" in silent.message, silent.message
