from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.deps import ApiKey, BatchResults, Batches
from api.schemas.rules import HEADER_TOKEN_PATTERN
from api.schemas.calls import BatchCancelled, BatchIn, BatchOut, CancelIn, BatchStatsOut

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


@router.get("/{batch_id}/stats")
async def batch_stats(batch_id: str, results: BatchResults) -> BatchStatsOut:
    """Outcomes broken down, and the connect rate by the callee's local hour when each attempt started."""
    return BatchStatsOut.of(await results.stats(batch_id))


@router.get(
    "/{batch_id}/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "one row per call"}},
)
async def export_batch(batch_id: str, results: BatchResults) -> Response:
    """One row per call with each field's collected value; cells that a spreadsheet would run as a formula
    (starting with = + - @) are prefixed with a quote."""
    text = await results.export_csv(batch_id)
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.csv"'},
    )


@router.post("/{batch_id}/pause")
async def pause_batch(batch_id: str, batches: Batches) -> BatchOut:
    return BatchOut.of(await batches.set_status(batch_id, "paused"))


@router.post("/{batch_id}/resume")
async def resume_batch(batch_id: str, batches: Batches) -> BatchOut:
    return BatchOut.of(await batches.resume(batch_id))


@router.post("/{batch_id}/cancel")
async def cancel_batch(batch_id: str, batches: Batches, body: CancelIn | None = None) -> BatchCancelled:
    """Final: no call of the batch is dialled again. `{"hang_up": true}` also ends its live calls now; the response
    names them in `ended_calls`. Without it a live call runs to its end, and is then cancelled, not retried."""
    view, ended = await batches.cancel(batch_id, hang_up=body.hang_up if body is not None else False)
    return BatchCancelled(**BatchOut.of(view).model_dump(), ended_calls=ended)
