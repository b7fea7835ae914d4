"""Server-sent events for the live pages: `change` whenever what they show may differ, instead of a poll every 3 s.

Same credential as the rest of the API (the pages' session cookie, or the bearer key). Bounded: at most
`ChangeFeed.max_streams` open streams per instance (503 past it), each closed after MAX_STREAM_S (the browser's
EventSource reconnects by itself after `retry`), a comment every KEEPALIVE_S so proxies keep it open. Not in the
OpenAPI document: a stream never ends, so the fuzzing pass could not call it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from api.deps import ApiKey, Changes
from api.schemas.rules import MAX_ID
from dialer.services.changes import ChangeFeed

router = APIRouter(prefix="/api/events", tags=["events"], dependencies=[ApiKey], include_in_schema=False)

MAX_STREAM_S = 600.0
KEEPALIVE_S = 15.0
RETRY_MS = 3000
MIN_GAP_S = 0.2  # a burst of writes (a dispatcher run) is one re-read, not one per commit


async def _events(feed: ChangeFeed, batch_id: str | None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    started = last_sent = loop.time()
    sent: str | None = None
    feed.streams += 1
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while not feed.closed and loop.time() - started < MAX_STREAM_S:
            seen = feed.version
            fingerprint = await feed.fingerprint(batch_id)
            if fingerprint != sent:
                yield f"event: change\nid: {fingerprint}\ndata: {json.dumps({'batch_id': batch_id})}\n\n"
                sent, last_sent = fingerprint, loop.time()
            elif loop.time() - last_sent >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                last_sent = loop.time()
            await feed.wait(seen, min(feed.check_s, KEEPALIVE_S))
            if not feed.closed:
                await asyncio.sleep(MIN_GAP_S)
    finally:
        feed.streams -= 1


@router.get("")
async def events(
    feed: Changes,
    batch_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID)] = None,
) -> StreamingResponse:
    """`event: change` at once, then after each change to batches, calls (of `batch_id`, if given), attempts,
    transcripts, collected fields, candidates or the do-not-call list. The page refetches what it shows."""
    if feed.streams >= feed.max_streams:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"too many live pages open on this instance (at most {feed.max_streams}); retry shortly",
            headers={"Retry-After": "10"},
        )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(feed, batch_id), media_type="text/event-stream", headers=headers)
