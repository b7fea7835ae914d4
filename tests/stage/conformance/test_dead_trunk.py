"""A dead trunk against a ringing time-out, through the dialer's own adapter and classifier (sandbox and stage).

Under a ringing time-out shorter than the INVITE transaction's 32 s both come back from the dialer's
``LiveKitTelephony.place`` as a ringing time-out; the SIP leg's departure webhook, noted by the dialer's
``LegStatuses`` as its webhook handler does, settles which it was: ``dialing`` (never ``ringing``) is a dead trunk.
"""

from __future__ import annotations

import pytest

from dialer.engine.leg_status import LegStatuses
from dialer.policy import Outcome
from dialer.telephony.base import DialFailed, DialRequest
from dialer.telephony.livekit import LiveKitTelephony
from dialer.telephony.sip_outcomes import Cancellation, ringing_timeout_cause
from tests.stage.conformance.conftest import LiveKitUnderTest


async def _ringing_timeout_cause(livekit: LiveKitUnderTest, number: str) -> Cancellation:
    room = livekit.room("trunk")
    request = DialRequest(
        call_id="call_1", attempt_id="att_1", room_name=room, phone_e164=number, trunk_id=livekit.trunk_id,
        agent_name="dialer-agent", agent_metadata="{}", participant_identity="callee", participant_name="Ada",
        participant_attributes={"dialer.call_id": "call_1"}, ringing_timeout_s=2,
    )
    telephony = LiveKitTelephony(url=livekit.url, api_key=livekit.api_key, api_secret=livekit.api_secret)
    try:
        with pytest.raises(DialFailed) as failed:
            await telephony.place(request)
    finally:
        await telephony.close()
    assert (failed.value.outcome, failed.value.ringing_timed_out) == (Outcome.NO_ANSWER, True)
    legs = LegStatuses()
    assert legs.note_departure(await livekit.wait_event("participant_left", room))
    return ringing_timeout_cause(await legs.last_status(room, "callee", timeout_s=0))


async def test_a_dead_trunk_and_a_ringing_time_out_are_told_apart_by_the_legs_last_status(
    livekit: LiveKitUnderTest,
) -> None:
    assert await _ringing_timeout_cause(livekit, "+12125550118") is Cancellation.TRUNK_NO_RESPONSE
    assert await _ringing_timeout_cause(livekit, "+12125550117") is Cancellation.RINGING_TIMED_OUT
