"""A call that falls due between ticks is dialled when it falls due, not at the next tick (real clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from config.settings import Settings
from dialer.clock import SystemClock
from dialer_testing.cluster import CALL_REGIONS, daytime_busy_number
from tests.stack import running_stack


async def test_not_before_between_ticks_gets_its_own_wake_up(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={
            "dispatch_interval_s": 3600.0,  # the tick cannot explain a dial within the test
            "calls_per_second": 100.0,
            "call_window_start": "08:00",
            "call_window_end": "21:00",
            "call_weekdays": [0, 1, 2, 3, 4, 5, 6],
            "call_regions": CALL_REGIONS.split(","),  # a reserved number where it is day now (window open there)
        }
    )
    clock = SystemClock()
    async with running_stack(tuned, clock) as stack:  # type: ignore[arg-type]
        await stack.runtime.start()
        body = {"external_id": "a", "name": "Ada", "phone": daytime_busy_number(), "required_fields": ["start_date"]}
        candidate = (await stack.http.post("/api/candidates", json=body)).json()
        not_before = datetime.now(timezone.utc) + timedelta(milliseconds=400)
        created = await stack.http.post("/api/batches", json={"candidate_ids": [candidate["id"]], "not_before": not_before.isoformat()})
        assert created.status_code == 201, created.text
        await stack.sandbox.wait_until(lambda: len(stack.sandbox.requests_for("CreateSIPParticipant")) == 1, timeout=10)
        (request,) = stack.sandbox.requests_for("CreateSIPParticipant")
        assert request.received_at >= not_before.timestamp()
