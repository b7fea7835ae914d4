"""Prometheus metrics, one registry per Runtime (so several in one process, as in tests, never collide).

Two kinds, named so they aggregate correctly across instances:
- per instance, updated as things happen: attempts ended by outcome (counted when the transaction that ended them
  commits), dial latency (CPS slot -> SIP final response), webhook-out failures, circuit state. Sum over instances.
- global, read from the database on each scrape: calls by state (the lifecycle's kept counts, a few rows whatever
  the table's size) and the queue depth (due calls not yet claimed, counted up to 10,000). Every instance reports
  the same figure: aggregate with max(), not sum().
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dialer.engine import queue
from dialer.engine.agent_availability import AgentAvailability
from dialer.engine.circuit import CircuitBreaker, CircuitState
from dialer.lifecycle import CallState, counts
from dialer.store.db import Database

QUEUE_DEPTH_COUNTED_UP_TO = 10_000  # a deeper queue reads as this: a scrape counts at most this many due calls
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class _InstanceCollector(Collector):
    """Figures other objects already keep (the circuit, the outbox's failure count), read at scrape time."""

    def __init__(self, circuit: CircuitBreaker, webhook_failures: Callable[[], int], agents: AgentAvailability) -> None:
        self._circuit = circuit
        self._webhook_failures = webhook_failures
        self._agents = agents

    def describe(self) -> Iterable[Metric]:
        """Names only, so registering reads nothing yet."""
        yield GaugeMetricFamily("dialer_circuit_state", "", labels=["state"])
        yield CounterMetricFamily("dialer_circuit_opened", "")
        yield CounterMetricFamily("dialer_webhook_out_failures", "")
        yield CounterMetricFamily("dialer_dials_without_agent", "")
        yield GaugeMetricFamily("dialer_agents_available", "")

    def collect(self) -> Iterable[Metric]:
        state = self._circuit.state
        gauge = GaugeMetricFamily(
            "dialer_circuit_state", "LiveKit/trunk circuit breaker of this instance: 1 for its current state",
            labels=["state"],
        )
        for option in CircuitState:
            gauge.add_metric([option.value], 1.0 if option is state else 0.0)
        yield gauge
        yield CounterMetricFamily(
            "dialer_circuit_opened", "Times this instance's circuit breaker opened", value=self._circuit.times_opened
        )
        yield CounterMetricFamily(
            "dialer_webhook_out_failures", "Failed deliveries of webhooks out (each retry counts)",
            value=self._webhook_failures(),
        )
        yield CounterMetricFamily(
            "dialer_dials_without_agent", "Dials put back in the queue because no agent took the job (nothing rang)",
            value=self._agents.dials_without_agent,
        )
        yield GaugeMetricFamily(
            "dialer_agents_available", "1 unless this instance's last dial found no agent to take the call",
            value=1.0 if self._agents.available else 0.0,
        )


class DialerMetrics:
    def __init__(
        self, *, circuit: CircuitBreaker, webhook_failures: Callable[[], int], trunk_id: str,
        queue_depth_up_to: int = QUEUE_DEPTH_COUNTED_UP_TO,
    ) -> None:
        self._trunk_id = trunk_id
        self._queue_depth_up_to = queue_depth_up_to
        self.agents = AgentAvailability()
        self.registry = CollectorRegistry(auto_describe=True)
        self.attempts_ended = Counter(
            "dialer_attempts_ended", "Attempts this instance recorded as ended, by outcome", ["outcome"],
            registry=self.registry,
        )
        self.dial_latency = Histogram(
            "dialer_dial_latency_seconds", "From a dial's CPS slot to LiveKit's SIP final response (answer or failure)",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.calls = Gauge("dialer_calls", "Calls by state (whole database)", ["state"], registry=self.registry)
        self.queue_depth = Gauge(
            "dialer_queue_due_calls",
            f"Scheduled calls due now and not yet claimed, on this instance's trunk (counted up to "
            f"{QUEUE_DEPTH_COUNTED_UP_TO}: a deeper queue reads {QUEUE_DEPTH_COUNTED_UP_TO})",
            registry=self.registry,
        )
        self.registry.register(_InstanceCollector(circuit, webhook_failures, self.agents))

    def note_commit(self, info: dict[Any, Any]) -> None:
        """A `Database.on_commit` hook: what the transaction noted in `session.info`, now that it is durable."""
        for outcome in info.pop("attempts_ended", ()):
            self.attempts_ended.labels(outcome=outcome).inc()

    def observe_dial(self, seconds: float) -> None:
        self.dial_latency.observe(max(0.0, seconds))

    async def refresh(self, db: Database, now: datetime) -> None:
        """The database-wide gauges, read at scrape time: the kept counts, and due calls counted up to a bound, so
        a scrape's cost does not grow with the calls table."""
        async with db.sessions() as session:
            kept = await counts.by_state(session)
            due = await queue.count_due(session, trunk_id=self._trunk_id, now=now, at_most=self._queue_depth_up_to)
        by_state = {state.value: 0 for state in CallState}
        by_state.update(kept)
        for state, n in by_state.items():
            self.calls.labels(state=state).set(n)
        self.queue_depth.set(due)

    def render(self) -> bytes:
        return generate_latest(self.registry)
