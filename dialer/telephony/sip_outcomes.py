"""SIP final response codes to the dialer's outcomes (RFC 3261 §21), kept apart so it is tested on its own."""

from __future__ import annotations

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
