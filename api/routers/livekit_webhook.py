from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request

from api.deps import RuntimeDep
from dialer.store.retry import with_retries

router = APIRouter(tags=["livekit"])
log = logging.getLogger("dialer.api.livekit")


@router.post("/api/livekit/webhook")
async def livekit_webhook(request: Request, runtime: RuntimeDep) -> dict[str, str]:
    """LiveKit's signed webhooks (JWT in Authorization, sha256 of the body): unsigned or tampered → 401."""
    body = (await request.body()).decode("utf-8", errors="replace")
    auth = request.headers.get("Authorization", "")
    try:
        event = runtime.webhook_receiver.receive(body, auth)
    except Exception:
        raise HTTPException(status_code=401, detail="webhook signature is missing or does not match") from None
    result = await with_retries(lambda: runtime.livekit_events.handle(event), what="livekit webhook")
    return {"result": result}
