"""The adapter over the wire, through the real livekit-api client: which `canceled` (HTTP 408) is a no answer.

A Twirp stub of the test's own answers CreateSIPParticipant the way livekit-server relays livekit/sip's
cancellations: code `canceled`, HTTP 408, no SIP status, told apart only by the message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from dialer.policy import Outcome
from dialer.telephony.base import DialFailed, DialRequest, TelephonyUnavailable
from dialer.telephony.livekit import LiveKitTelephony
from tests.twirp_stub import TwirpError, TwirpStub


SIP_METHOD = "livekit.SIP/CreateSIPParticipant"


class CancellingLiveKit(TwirpStub):
    """Answers every CreateSIPParticipant with Twirp `canceled` (HTTP 408) and the message a test sets."""

    def __init__(self) -> None:
        super().__init__()
        self.message = ""
        self.answers[SIP_METHOD] = lambda: TwirpError("canceled", self.message, 408)


@pytest.fixture
async def livekit() -> AsyncIterator[CancellingLiveKit]:
    server = CancellingLiveKit()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def telephony(livekit: CancellingLiveKit) -> AsyncIterator[LiveKitTelephony]:
    adapter = LiveKitTelephony(url=livekit.url, api_key="key", api_secret="secret-0123456789abcdef0123456789")
    yield adapter
    await adapter.close()


REQUEST = DialRequest(
    call_id="c1", attempt_id="att1", room_name="call-c1-1", phone_e164="+12125550100", trunk_id="ST_x",
    agent_name="dialer-agent", agent_metadata="{}", participant_identity="callee-c1", participant_name="C",
)


async def test_a_ringing_time_out_is_no_answer(livekit: CancellingLiveKit, telephony: LiveKitTelephony) -> None:
    livekit.message = "sip request timed out"
    with pytest.raises(DialFailed) as failed:
        await telephony.place(REQUEST)
    assert (failed.value.outcome, failed.value.sip_status_code) == (Outcome.NO_ANSWER, None)
    assert failed.value.ringing_timed_out  # a dead trunk reads the same: the leg's last status settles it


async def test_a_carrier_that_never_answers_the_invite_is_a_trunk_failure_not_no_answer(
    livekit: CancellingLiveKit, telephony: LiveKitTelephony
) -> None:
    livekit.message = "transaction failed to complete (0 intermediate responses)"
    with pytest.raises(DialFailed) as failed:
        await telephony.place(REQUEST)
    assert failed.value.outcome is Outcome.ERROR  # the dispatcher counts ERROR against the circuit breaker
    assert "trunk failure" in failed.value.detail and not failed.value.ringing_timed_out


async def test_a_sip_node_shutting_down_places_nothing(livekit: CancellingLiveKit, telephony: LiveKitTelephony) -> None:
    livekit.message = "service shutting down"
    with pytest.raises(TelephonyUnavailable) as unavailable:
        await telephony.place(REQUEST)
    assert unavailable.value.maybe_placed is False


async def test_an_unknown_cancellation_is_an_error_with_livekits_words(
    livekit: CancellingLiveKit, telephony: LiveKitTelephony
) -> None:
    livekit.message = "call already closed"
    with pytest.raises(DialFailed) as failed:
        await telephony.place(REQUEST)
    assert failed.value.outcome is Outcome.ERROR
    assert failed.value.detail == "canceled by LiveKit: call already closed"
