"""Prometheus metrics of this instance (see dialer/engine/metrics.py for what each one means)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import RuntimeDep
from dialer.engine.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus text format; no auth, like /health: counts and timings only, never an id or a number."""
    await runtime.metrics.refresh(runtime.db, runtime.clock.now())
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
