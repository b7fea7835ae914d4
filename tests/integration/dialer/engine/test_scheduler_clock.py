"""APScheduler is only the clock: with the runtime started, a new batch is dialled at once (woken, not polled)."""

from __future__ import annotations

from config.settings import Settings
from dialer.clock import ManualClock
from tests.stack import running_stack


async def test_new_batch_wakes_the_dispatcher_without_waiting_for_a_tick(settings: Settings, clock: ManualClock) -> None:
    # A tick far in the future: only the wake-up can explain a dial.
    tuned = settings.model_copy(update={"dispatch_interval_s": 3600.0, "calls_per_second": 100.0})
    async with running_stack(tuned, clock) as stack:
        await stack.runtime.start()
        assert stack.runtime.scheduler is not None and stack.runtime.scheduler.running
        jobs = {job.id for job in stack.runtime.scheduler.get_jobs()}
        assert jobs >= {"dispatch", "outbox", "reconcile"}
        body = {"external_id": "a", "name": "Ada", "phone": "+13125550110", "required_fields": ["start_date"]}
        candidate = (await stack.http.post("/api/candidates", json=body)).json()
        await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]]})
        await stack.sandbox.wait_until(lambda: len(stack.sandbox.requests_for("CreateSIPParticipant")) == 1, timeout=10)
        await stack.runtime.dispatcher.drain()
        call = (await stack.http.get("/api/calls")).json()["items"][0]
        assert call["attempts"][0]["outcome"] == "busy"
