from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    """Liveness plus the database round trip; no auth so load balancers can use it. "degraded" (still 200: the API
    works) while the circuit breaker has dialling paused or probing."""
    async with runtime.db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    status = "degraded" if runtime.degraded else "ok"
    return {"status": status, "database": runtime.db.dialect, **runtime.health_details()}
