from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.deps import ApiKey, Batches
from api.schemas.rules import HEADER_TOKEN_PATTERN
from api.schemas.calls import BatchIn, BatchOut

router = APIRouter(prefix="/api/batches", tags=["batches"], dependencies=[ApiKey])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_batch(
    body: BatchIn,
    batches: Batches,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200, pattern=HEADER_TOKEN_PATTERN)] = None,
) -> BatchOut:
    """Same `Idempotency-Key` and body: the same batch again (header `Idempotent-Replayed: true`); other body: 409."""
    view, created = await batches.create(body.to_input(), idempotency_key=idempotency_key)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return BatchOut.of(view)


@router.get("")
async def list_batches(batches: Batches) -> dict[str, list[BatchOut]]:
    return {"items": [BatchOut.of(v) for v in await batches.list_batches()]}


@router.get("/{batch_id}")
async def get_batch(batch_id: str, batches: Batches) -> BatchOut:
    return BatchOut.of(await batches.get(batch_id))


@router.post("/{batch_id}/pause")
async def pause_batch(batch_id: str, batches: Batches) -> BatchOut:
    return BatchOut.of(await batches.set_status(batch_id, "paused"))


@router.post("/{batch_id}/resume")
async def resume_batch(batch_id: str, batches: Batches) -> BatchOut:
    return BatchOut.of(await batches.resume(batch_id))


@router.post("/{batch_id}/cancel")
async def cancel_batch(batch_id: str, batches: Batches) -> BatchOut:
    return BatchOut.of(await batches.set_status(batch_id, "cancelled"))
