"""The adapter's HTTP client keeps no connection limit: each ringing call's CreateSIPParticipant (wait_until_answered)
holds a connection until the callee answers, so with aiohttp's default limit of 100 the 101st call's request waited
in the client, past its CPS slot, until a ringing call ended. Through the real livekit-api client over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from livekit.protocol.sip import SIPParticipantInfo

from dialer.telephony.base import REQUEST_SENT, DialRequest
from dialer.telephony.livekit import LiveKitTelephony
from tests.twirp_stub import TwirpStub

SIP_METHOD = "livekit.SIP/CreateSIPParticipant"
RINGING = 101  # one more than aiohttp's default connection limit
REQUEST = DialRequest(
    call_id="c", attempt_id="a", room_name="call-c-1", phone_e164="+12125550100", trunk_id="ST_x",
    agent_name="dialer-agent", agent_metadata="{}", participant_identity="callee-c", participant_name="C",
)


@asynccontextmanager
async def _livekit_answering(answer: Callable[[], Awaitable[SIPParticipantInfo]]) -> AsyncIterator[LiveKitTelephony]:
    """The real adapter against a Twirp stub that answers CreateSIPParticipant with `answer`."""
    livekit = TwirpStub()
    livekit.answers[SIP_METHOD] = answer
    await livekit.start()
    telephony = LiveKitTelephony(url=livekit.url, api_key="key", api_secret="secret-0123456789abcdef0123456789")
    try:
        yield telephony
    finally:
        await telephony.close()
        await livekit.stop()


async def test_the_101st_ringing_call_reaches_livekit_while_100_are_still_ringing() -> None:
    arrived = 0
    all_ringing, answer = asyncio.Event(), asyncio.Event()

    async def ring_until_told() -> SIPParticipantInfo:
        nonlocal arrived
        arrived += 1
        if arrived == RINGING:
            all_ringing.set()
        await answer.wait()
        return SIPParticipantInfo(participant_identity="callee", sip_call_id="SCL_x")

    async with _livekit_answering(ring_until_told) as telephony:
        calls = [asyncio.create_task(telephony.place(replace(REQUEST, room_name=f"call-c{i}-1"))) for i in range(RINGING)]
        try:
            await asyncio.wait_for(all_ringing.wait(), timeout=10)  # before: 100 arrived, the 101st waited
            answer.set()
            results = await asyncio.gather(*calls)
            assert len(results) == RINGING and all(r.sip_call_id == "SCL_x" for r in results)
        finally:
            answer.set()
            await asyncio.gather(*calls, return_exceptions=True)


async def test_the_adapter_says_when_the_sip_request_left_before_its_answer_comes() -> None:
    """The CPS guard learns from when CreateSIPParticipant's headers were written, not from the check before it."""
    arrived, answer = asyncio.Event(), asyncio.Event()

    async def answer_when_told() -> SIPParticipantInfo:
        arrived.set()
        await answer.wait()
        return SIPParticipantInfo(participant_identity="callee", sip_call_id="SCL_x")

    sent: list[str] = []
    token = REQUEST_SENT.set(lambda: sent.append("left"))
    async with _livekit_answering(answer_when_told) as telephony:
        try:
            placing = asyncio.create_task(telephony.place(REQUEST))
            await asyncio.wait_for(arrived.wait(), timeout=10)
            assert sent == ["left"]  # told as it left, while the call still rings
            answer.set()
            await placing
            assert sent == ["left"]
        finally:
            REQUEST_SENT.reset(token)
            answer.set()
