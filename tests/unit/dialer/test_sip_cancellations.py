"""LiveKit's `canceled` answers told apart by livekit/sip's own messages (pkg/sip/outbound.go, v1.8.0)."""

from __future__ import annotations

import pytest

from dialer.telephony.sip_outcomes import Cancellation, classify_cancellation, ringing_timeout_cause


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("sip request timed out", Cancellation.RINGING_TIMED_OUT),
        ("twirp error canceled: sip request timed out", Cancellation.RINGING_TIMED_OUT),  # wrapped by the server
        ("transaction failed to complete (0 intermediate responses)", Cancellation.TRUNK_NO_RESPONSE),
        ("Transaction failed to complete (2 intermediate responses)", Cancellation.TRUNK_NO_RESPONSE),
        ("service shutting down", Cancellation.SIP_NODE_SHUTTING_DOWN),
        ("call already closed", Cancellation.UNKNOWN),
        ("", Cancellation.UNKNOWN),
    ],
)
def test_each_cancellation_is_named_by_its_message(message: str, expected: Cancellation) -> None:
    assert classify_cancellation(message) is expected


@pytest.mark.parametrize(
    ("last_call_status", "expected"),
    [
        ("dialing", Cancellation.TRUNK_NO_RESPONSE),  # nothing ever came back: the carrier never answered
        ("ringing", Cancellation.RINGING_TIMED_OUT),  # the phone rang out
        (None, Cancellation.RINGING_TIMED_OUT),  # the departure webhook never came: what LiveKit said
        ("active", Cancellation.RINGING_TIMED_OUT),
    ],
)
def test_a_ringing_time_out_is_a_dead_trunk_only_when_the_leg_never_rang(
    last_call_status: str | None, expected: Cancellation
) -> None:
    assert ringing_timeout_cause(last_call_status) is expected
