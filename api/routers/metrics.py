"""Prometheus metrics of this instance (see dialer/engine/metrics.py for what each one means)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Health
from dialer.engine.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
async def metrics(health: Health) -> Response:
    """Prometheus text format; no auth, like /health: counts and timings only, never an id or a number."""
    return Response(await health.metrics_text(), media_type=CONTENT_TYPE)
