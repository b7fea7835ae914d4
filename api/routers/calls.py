from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import ApiKey, Calls
from api.schemas.calls import CallIn, CallList, CallOut, CallRecordOut

router = APIRouter(prefix="/api/calls", tags=["calls"], dependencies=[ApiKey])


@router.post("", status_code=status.HTTP_201_CREATED)
async def call_now(body: CallIn, calls: Calls) -> CallOut:
    """One call now (the "Call candidate" button), still within the calling rules. A candidate whose call already
    completed is a 409 unless `again` is true."""
    call = await calls.call_now(body.candidate_id, body.to_identity(), again=body.again)
    return CallOut.of(await calls.get(call.id))


@router.get("")
async def list_calls(
    calls: Calls,
    batch_id: str | None = None,
    candidate_id: str | None = None,
    state: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CallList:
    details = await calls.list_calls(batch_id=batch_id, candidate_id=candidate_id, state=state, after=after, limit=limit)
    return CallList(
        items=[CallOut.of(d) for d in details], next_after=details[-1].call.id if len(details) == limit else None
    )


@router.get("/{call_id}")
async def get_call(call_id: str, calls: Calls) -> CallOut:
    return CallOut.of(await calls.get(call_id))


@router.get("/{call_id}/transcript")
async def get_transcript(call_id: str, calls: Calls) -> CallRecordOut:
    """What was said, turn by turn, and each collected field with the callee's words it came from."""
    return CallRecordOut.of(await calls.record(call_id))
