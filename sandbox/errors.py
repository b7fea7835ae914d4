"""Twirp errors as LiveKit sends them, and LiveKit's mapping of SIP failures onto them.

The real client (``livekit.api.twirp_client``) reads ``{"code", "msg", "meta"}`` from any non-200
answer, retries nothing below 500, and turns an error whose ``meta`` has ``sip_status_code`` into
``SipCallError``; the tables below follow livekit/protocol (``livekit/sip.go``) and livekit/sip
(``classifyInviteError``) so the dialer sees the codes production would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from livekit.protocol.models import DisconnectReason

# Twirp error code -> HTTP status (the Twirp spec's table).
TWIRP_HTTP_STATUS: dict[str, int] = {
    "canceled": 408,
    "unknown": 500,
    "invalid_argument": 400,
    "malformed": 400,
    "deadline_exceeded": 408,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "failed_precondition": 412,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "dataloss": 500,
}

# HTTP status -> Twirp code, for injected faults that name only a status.
_CODE_FOR_HTTP: dict[int, str] = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    408: "deadline_exceeded",
    409: "aborted",
    412: "failed_precondition",
    429: "resource_exhausted",
    500: "internal",
    501: "unimplemented",
    502: "unavailable",
    503: "unavailable",
    504: "deadline_exceeded",
}

# SIP response code -> Twirp code (livekit/protocol sipCodeToGRPCCode, the codes a dialer meets).
_CODE_FOR_SIP: dict[int, str] = {
    400: "invalid_argument",
    401: "permission_denied",
    402: "permission_denied",
    403: "permission_denied",
    404: "not_found",
    407: "unauthenticated",
    408: "deadline_exceeded",
    410: "not_found",
    480: "resource_exhausted",
    484: "invalid_argument",
    486: "resource_exhausted",
    487: "aborted",
    488: "invalid_argument",
    500: "failed_precondition",
    501: "failed_precondition",
    502: "failed_precondition",
    503: "failed_precondition",
    504: "deadline_exceeded",
    600: "resource_exhausted",
    603: "permission_denied",
    604: "not_found",
    606: "invalid_argument",
    607: "permission_denied",
    608: "permission_denied",
}


class TwirpError(Exception):
    """An error answer: Twirp code, message and string metadata."""

    def __init__(self, code: str, msg: str, meta: Mapping[str, str] | None = None, *, status: int | None = None):
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.meta: dict[str, str] = dict(meta or {})
        self.status = status if status is not None else TWIRP_HTTP_STATUS.get(code, 500)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.meta:
            body["meta"] = self.meta
        return body


def not_found(msg: str) -> TwirpError:
    return TwirpError("not_found", msg)


def invalid_argument(msg: str) -> TwirpError:
    return TwirpError("invalid_argument", msg)


def for_http_status(status: int, msg: str) -> TwirpError:
    """An error with exactly this HTTP status, for fault injection."""
    code = _CODE_FOR_HTTP.get(status, "internal" if status >= 500 else "invalid_argument")
    return TwirpError(code, msg, status=status)


# livekit/sip v1.8.0 (pkg/sip/outbound.go, sipOutbound.Invite): these final responses are "INVITE failed", any
# other non-2xx is "unexpected status from INVITE response"; both wrap the SIPStatus ("sip status: 486: Busy Here").
_INVITE_FAILED_CODES = frozenset({400, 404, 480, 486, 488})


def sip_call_failed(sip_code: int, sip_status: str, *, extra: Mapping[str, str] | None = None) -> TwirpError:
    """The error LiveKit answers when the far end rejects the INVITE (the client makes it a SipCallError)."""
    if sip_code in _CODE_FOR_SIP:
        code = _CODE_FOR_SIP[sip_code]
    elif sip_code >= 500 and sip_code < 600:
        code = "failed_precondition"
    else:
        code = "invalid_argument"
    meta = {"sip_status_code": str(sip_code), "sip_status": sip_status, **(extra or {})}
    prefix = "INVITE failed" if sip_code in _INVITE_FAILED_CODES else "unexpected status from INVITE response"
    return TwirpError(code, f"{prefix}: sip status: {sip_code}: {sip_status}", meta)


def ringing_timed_out() -> TwirpError:
    """LiveKit's answer when nobody picks up within ringing_timeout: canceled, with no SIP status, and livekit/sip's
    own message (ErrSIPRequestTimeout), the only thing that tells it apart from a trunk failure."""
    return TwirpError("canceled", "sip request timed out")


def invite_transaction_timed_out() -> TwirpError:
    """livekit/sip's answer when the carrier never responded to the INVITE within the transaction's 32 s (and the
    ringing time-out was longer): canceled too, told apart only by this message."""
    return TwirpError("canceled", "transaction failed to complete (0 intermediate responses)")


def disconnect_reason_for_sip(sip_code: int) -> DisconnectReason:
    """Why the SIP participant left after a failed INVITE, as livekit-server v1.13.5 + livekit/sip v1.8.0 report it
    (tests/stage/conformance): a carrier 5xx ends the call as UNKNOWN, which the server turns into CLIENT_INITIATED."""
    if sip_code in (404, 408, 480):
        return DisconnectReason.USER_UNAVAILABLE
    if sip_code in (401, 403, 407, 486, 488) or 600 <= sip_code < 700:
        return DisconnectReason.USER_REJECTED
    if 500 <= sip_code < 600:
        return DisconnectReason.CLIENT_INITIATED
    if 400 <= sip_code < 500:
        return DisconnectReason.USER_UNAVAILABLE
    return DisconnectReason.UNKNOWN_REASON
