"""Phone numbers and names never reach log text: a whole batch, its webhooks, the DNC routes and the access log, with
every logger at DEBUG, the database driver's and the ORM's included (they would print each statement's parameters)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.stack import running_stack

NUMBERS = ["+12125550116", "+13125550110", "+12125550113", "+13125550115"]


async def test_no_phone_number_in_any_log_record(settings: Settings, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    # set_level also sets the capture handler's level, so the quietest logger goes first.
    caplog.set_level(logging.WARNING, logger="httpx")  # the test's own client logs the URLs it requests
    caplog.set_level(logging.INFO)  # production level; our own loggers at DEBUG
    for name in ("dialer", "api", "agent", "sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock) as stack:
        ids = []
        for index, phone in enumerate(NUMBERS):
            body = {
                "external_id": f"c{index}", "name": f"Zebedee Quill{index}", "phone": phone,
                "required_fields": ["start_date"], "fields": {"location": f"Hollowmere{index}"},
            }
            ids.append((await stack.http.post("/api/candidates", json=body)).json()["id"])
        await stack.http.post("/api/dnc", json={"phone": "+14155552671", "reason": "Moved to Brightwater"})
        assert (await stack.http.delete("/api/dnc/+14155552671")).status_code == 204
        await stack.http.post("/api/batches", json={"candidate_ids": ids})
        await stack.dispatch()
        for room in list(stack.sandbox.rooms):
            if stack.sandbox.participants.get(room):
                await stack.hang_up(room)
        clock.advance(timedelta(minutes=20))
        await stack.dispatch()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "dialling" in text, text
    assert "SELECT" in text and "INSERT" in text, "the driver's statements were logged, so their values were exercised"
    for secret in ("Zebedee", "Quill", "Hollowmere", "Brightwater"):
        assert secret not in text, f"personal data leaked into the logs ({secret[:3]}…)"
    assert "/api/dnc/{phone}" in text, text  # the access log names the route, not the path
    for phone in [*NUMBERS, "+14155552671"]:
        for form in (phone, phone[1:], phone[2:]):
            assert form not in text, f"a phone number leaked into the logs ({form[-2:]})"


def test_the_service_keeps_driver_loggers_at_warning_even_at_debug() -> None:
    from dialer.logs import DRIVER_LOGGERS, configure_logging

    before = {name: logging.getLogger(name).level for name in (*DRIVER_LOGGERS, "apscheduler", "httpx")}
    try:
        configure_logging("DEBUG")
        for name in DRIVER_LOGGERS:
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
