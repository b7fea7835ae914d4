from __future__ import annotations

import base64
import binascii
import hashlib
import logging

from fastapi import APIRouter, HTTPException, Request
from google.protobuf.json_format import Parse, ParseError
from livekit.protocol.webhook import WebhookEvent

from api.deps import LiveKitEvents
from api.request_guard import WEBHOOK_CLAIMS, WEBHOOK_UNSIGNED
from dialer.store.retry import with_retries

router = APIRouter(tags=["livekit"])
log = logging.getLogger("dialer.api.livekit")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


@router.post("/api/livekit/webhook")
async def livekit_webhook(request: Request, events: LiveKitEvents) -> dict[str, str]:
    """LiveKit's signed webhooks: a JWT in Authorization carrying the body's sha256.

    The JWT is verified before a byte of the body is read (an unsigned body is never read at all): api/request_guard.py
    does it and leaves the verified claims in the request's state. The body is then read up to its cap (413 past
    it), and must hash to the signed value (401). A signed body that is not a LiveKit event is a 400 that says so,
    not a signature error.
    """
    claims = getattr(request.state, WEBHOOK_CLAIMS, None)
    if claims is None:  # only without the guard in front: refused, never read
        raise _unauthorized(WEBHOOK_UNSIGNED)
    if not claims.sha256:
        raise _unauthorized("webhook token carries no body hash (sha256)")
    body = b""
    async for chunk in request.stream():  # capped by api/request_guard.py
        body += chunk
    try:
        signed = base64.b64decode(claims.sha256, validate=True)
    except (binascii.Error, ValueError):
        raise _unauthorized("webhook token's body hash is not base64") from None
    if hashlib.sha256(body).digest() != signed:
        raise _unauthorized("webhook body does not match its signature")
    try:
        event = Parse(body.decode("utf-8"), WebhookEvent(), ignore_unknown_fields=True)
    except (UnicodeDecodeError, ParseError) as exc:
        raise HTTPException(status_code=400, detail=f"signed body is not a LiveKit webhook event ({_reason(exc)})") from None
    result = await with_retries(lambda: events.handle(event), what="livekit webhook")
    return {"result": result}


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return str(exc)[:200]
