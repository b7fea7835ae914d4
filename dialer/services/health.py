"""What /health and /metrics report: liveness with the database round trip, the circuit, and Prometheus figures."""

from __future__ import annotations

from sqlalchemy import text

from dialer.clock import Clock
from dialer.engine.circuit import CircuitBreaker, CircuitState
from dialer.engine.metrics import DialerMetrics
from dialer.store.db import Database
from dialer.store.retry import database_unavailable


class HealthService:
    def __init__(
        self, *, db: Database, clock: Clock, circuit: CircuitBreaker, metrics: DialerMetrics, livekit: str, owner: str
    ) -> None:
        self._db = db
        self._clock = clock
        self._circuit = circuit
        self._metrics = metrics
        self._livekit = livekit  # "sandbox" or "livekit"
        self._owner = owner

    @property
    def degraded(self) -> bool:
        """Dialling is paused or probing (LiveKit or the trunk has been failing), or no agent took the last call."""
        return self._circuit.state is not CircuitState.CLOSED or not self._metrics.agents.available

    def details(self) -> dict[str, object]:
        return {
            "livekit": self._livekit,
            "instance": self._owner,
            "circuit": self._circuit.snapshot().as_dict(),
            "agents": self._metrics.agents.as_dict(),
        }

    async def check(self) -> dict[str, object]:
        """"degraded" (the API still works) while the circuit breaker has dialling paused or probing, or while agents
        are unavailable (calls wait in the queue, nothing rings); "unavailable" when the database cannot be reached
        (nothing works: a load balancer should stop sending this instance requests)."""
        try:
            async with self._db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            return {"status": "unavailable", "database": self._db.dialect, "database_error": type(exc).__name__,
                    **self.details()}
        status = "degraded" if self.degraded else "ok"
        return {"status": status, "database": self._db.dialect, **self.details()}

    async def metrics_text(self) -> bytes:
        await self._metrics.refresh(self._db, self._clock.now())
        return self._metrics.render()
