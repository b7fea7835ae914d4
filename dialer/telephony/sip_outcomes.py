"""SIP final responses (RFC 3261 §21) and LiveKit's cancellations to the dialer's outcomes, kept apart so they are
tested on their own."""

from __future__ import annotations

from enum import StrEnum

from dialer.policy import Outcome

_BY_CODE: dict[int, Outcome] = {
    486: Outcome.BUSY,  # Busy Here
    600: Outcome.BUSY,  # Busy Everywhere
    480: Outcome.NO_ANSWER,  # Temporarily Unavailable (the usual "no answer")
    408: Outcome.NO_ANSWER,  # Request Timeout (ringing timed out)
    487: Outcome.NO_ANSWER,  # Request Terminated (we cancelled after the ringing timeout)
    603: Outcome.DECLINED,  # Decline
    404: Outcome.INVALID_NUMBER,  # Not Found
    484: Outcome.INVALID_NUMBER,  # Address Incomplete
    410: Outcome.INVALID_NUMBER,  # Gone
    485: Outcome.INVALID_NUMBER,  # Ambiguous
    604: Outcome.INVALID_NUMBER,  # Does Not Exist Anywhere
}


def outcome_for_sip_status(code: int | None) -> Outcome:
    """Anything unlisted (5xx carrier trouble, 403, unknown) is an error: retried later, never "invalid"."""
    if code is None:
        return Outcome.ERROR
    return _BY_CODE.get(code, Outcome.ERROR)


class Cancellation(StrEnum):
    """Why LiveKit answered CreateSIPParticipant with Twirp `canceled` (HTTP 408) and no SIP status.

    livekit/sip (pkg/sip/outbound.go, sipResponse; v1.8.0) returns `canceled` for three different things, told apart
    only by the error's message: the ringing time-out ran out (the phone rang: no answer), the INVITE transaction
    ended with no final response (the carrier never answered: a trunk failure, nothing rang or nothing completed),
    and the SIP node shutting down. Only the first is the callee's doing. Measured on the stage: a silent carrier's
    INVITE transaction ends only after 32 s (Timer B), so under a shorter ringing time-out a dead trunk also reads
    "sip request timed out"; then only the leg's last ``sip.callStatus`` tells them apart (``ringing_timeout_cause``).
    """

    RINGING_TIMED_OUT = "ringing_timed_out"
    TRUNK_NO_RESPONSE = "trunk_no_response"
    SIP_NODE_SHUTTING_DOWN = "sip_node_shutting_down"
    UNKNOWN = "unknown"


# livekit/sip's messages: ErrSIPRequestTimeout, transactionTimeoutError, and the shutdown error.
_CANCELLATION_MESSAGES: tuple[tuple[str, Cancellation], ...] = (
    ("sip request timed out", Cancellation.RINGING_TIMED_OUT),
    ("transaction failed to complete", Cancellation.TRUNK_NO_RESPONSE),
    ("service shutting down", Cancellation.SIP_NODE_SHUTTING_DOWN),
)


def classify_cancellation(message: str) -> Cancellation:
    """Which cancellation a Twirp `canceled` message names (the server may wrap it; matching is by substring)."""
    lowered = message.lower()
    for needle, cancellation in _CANCELLATION_MESSAGES:
        if needle in lowered:
            return cancellation
    return Cancellation.UNKNOWN


# sip.callStatus values livekit/sip sets on the SIP participant (pkg/sip/outbound.go, v1.8.0)
CALL_STATUS_DIALING = "dialing"  # the INVITE is out; nothing came back yet
CALL_STATUS_RINGING = "ringing"  # a provisional response (18x) came back: the phone rang

TRUNK_NO_RESPONSE_DETAIL = "trunk failure: the carrier never answered the INVITE"


def ringing_timeout_cause(last_call_status: str | None) -> Cancellation:
    """What a "sip request timed out" was, by the leg's last ``sip.callStatus`` (from its departure webhook).

    ``dialing`` means no provisional response ever came back: the carrier never answered the INVITE (a dead trunk,
    a trunk failure). ``ringing``, or no status known (the webhook never came), is the ringing time-out it says.
    """
    if last_call_status == CALL_STATUS_DIALING:
        return Cancellation.TRUNK_NO_RESPONSE
    return Cancellation.RINGING_TIMED_OUT
