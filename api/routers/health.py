from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Health

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(health: Health, response: Response) -> dict[str, object]:
    """Liveness plus the database round trip; no auth so load balancers can use it. "degraded" (still 200: the API
    works) while the circuit breaker has dialling paused or probing, or while no agent takes the calls;
    "unavailable" (503) while the database cannot be reached."""
    report = await health.check()
    if report["status"] == "unavailable":
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return report
