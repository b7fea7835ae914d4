from __future__ import annotations

from fastapi import APIRouter

from api.deps import Health

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(health: Health) -> dict[str, object]:
    """Liveness plus the database round trip; no auth so load balancers can use it. "degraded" (still 200: the API
    works) while the circuit breaker has dialling paused or probing, or while no agent takes the calls."""
    return await health.check()
