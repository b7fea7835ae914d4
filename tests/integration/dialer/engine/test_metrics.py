"""GET /metrics: outcomes counted once committed, latency, queue depth, calls by state, webhook failures, circuit."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.engine.metrics import DialerMetrics
from dialer.runtime import Runtime
from dialer.store.db import Database
from tests.stack import Stack, running_stack

BUSY = "+13125550110"
ANSWERS = "+12125550116"


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "webhook_url": _dead_url(), "webhook_secret": "s"})
    async with running_stack(tuned, clock) as s:
        yield s


def value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. value(text, 'dialer_calls{state="completed"}')."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in metrics:\n{text}"
    return float(match.group(1))


async def test_metrics_follow_the_calls(stack: Stack, clock: ManualClock) -> None:
    ids = []
    for index, phone in enumerate((BUSY, ANSWERS)):
        body = {"external_id": f"m{index}", "name": "M", "phone": phone, "required_fields": ["start_date"]}
        ids.append((await stack.http.post("/api/candidates", json=body)).json()["id"])
    await stack.http.post("/api/batches", json={"candidate_ids": ids})
    before = (await stack.http.get("/metrics"))
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    assert value(before.text, "dialer_queue_due_calls") == 2
    assert value(before.text, 'dialer_calls{state="scheduled"}') == 2

    await stack.dispatch()
    clock.advance(timedelta(seconds=20))
    (answered_room,) = [r for r, people in stack.sandbox.participants.items() if any(p.identity.startswith("callee-") for p in people.values())]
    await stack.hang_up(answered_room)
    await stack.runtime.outbox.run_once()  # webhooks out fail: nothing listens there

    text = (await stack.http.get("/metrics")).text
    assert value(text, 'dialer_attempts_ended_total{outcome="busy"}') == 1
    assert value(text, 'dialer_attempts_ended_total{outcome="nothing_collected"}') == 1  # answered, nothing saved
    assert value(text, 'dialer_calls{state="completed"}') == 0
    assert value(text, 'dialer_calls{state="scheduled"}') == 2  # busy: retried in 15 minutes; nothing collected: 2 h
    assert value(text, "dialer_queue_due_calls") == 0
    assert value(text, "dialer_dial_latency_seconds_count") == 2
    assert value(text, "dialer_webhook_out_failures_total") == 2  # two call.ended events
    assert value(text, 'dialer_circuit_state{state="closed"}') == 1
    assert value(text, 'dialer_circuit_state{state="open"}') == 0
    assert value(text, "dialer_circuit_opened_total") == 0
    assert "+1" not in text and "call_" not in text  # counts only: no number, no id

    clock.advance(timedelta(minutes=15))
    assert value((await stack.http.get("/metrics")).text, "dialer_queue_due_calls") == 1


async def test_the_queue_depth_is_counted_up_to_its_bound(stack: Stack) -> None:
    """A scrape reads at most the bound's worth of due calls (a million due calls took a second to count); calls by
    state are the kept counts, exact whatever the size."""
    ids = []
    for index in range(3):
        body = {"external_id": f"q{index}", "name": "Q", "phone": BUSY, "required_fields": ["start_date"]}
        ids.append((await stack.http.post("/api/candidates", json=body)).json()["id"])
    await stack.http.post("/api/batches", json={"candidate_ids": ids})
    bounded = DialerMetrics(circuit=stack.runtime.circuit, webhook_failures=lambda: 0,
                            trunk_id=stack.runtime.settings.sip_outbound_trunk_id, queue_depth_up_to=2)
    await bounded.refresh(stack.runtime.db, stack.clock.now())
    text = bounded.render().decode()
    assert value(text, "dialer_queue_due_calls") == 2
    assert value(text, 'dialer_calls{state="scheduled"}') == 3
    assert value((await stack.http.get("/metrics")).text, "dialer_queue_due_calls") == 3  # the default bound: 10,000


async def test_each_runtime_has_its_own_registry(settings: Settings, clock: ManualClock) -> None:
    first, second = Runtime.build(settings, clock=clock), Runtime.build(settings, clock=clock)
    try:
        first.metrics.attempts_ended.labels(outcome="busy").inc()
        assert first.metrics.registry is not second.metrics.registry
        assert 'dialer_attempts_ended_total{outcome="busy"} 1.0' in first.metrics.render().decode()
        assert 'outcome="busy"' not in second.metrics.render().decode()
    finally:
        await first.db.dispose()
        await second.db.dispose()


async def test_commit_hooks_see_only_committed_transactions(database: Database) -> None:
    seen: list[list[str]] = []
    database.on_commit(lambda info: seen.append(list(info.get("attempts_ended", []))))
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            session.info.setdefault("attempts_ended", []).append("busy")
            raise RuntimeError("rolled back")
    async with database.transaction():
        pass  # nothing noted: no call
    async with database.transaction() as session:
        session.info.setdefault("attempts_ended", []).append("answered")
    assert seen == [["answered"]]
