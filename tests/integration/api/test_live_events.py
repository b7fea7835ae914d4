"""The live pages' event stream (GET /api/events) over a real socket, on SQLite and PostgreSQL: a `change` at once,
another after each write on this instance (the re-read for other instances' writes is set to ten minutes here, so
only the write's own wake-up can deliver it), none for a read, the pages' cookie or the API key as credential,
bounded in count, and ended when the service stops."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.served_dialer import dialer_serve
from tests.stack import Stack, running_stack
from tests.support import API_KEY

ROOT = Path(__file__).resolve().parents[3]
BOUND_S = 20.0  # an upper bound for a loaded machine, never a wait: each read returns as soon as the event arrives


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings.model_copy(update={"web_events_check_s": 600.0}), clock) as s:
        yield s


class EventReader:
    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next_event(self) -> dict[str, str]:
        """The next event's fields (comments skipped), read as it arrives."""
        async def read() -> dict[str, str]:
            fields: dict[str, str] = {}
            async for line in self._lines:
                if not line:
                    if "event" in fields:
                        return fields
                    fields = {}
                    continue
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(":")
                fields[key] = value.strip()
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), BOUND_S)


async def _candidate(stack: Stack, external_id: str) -> None:
    body = {"external_id": external_id, "name": "Ada", "phone": "+14155552671", "required_fields": ["start_date"]}
    assert (await stack.http.post("/api/candidates", json=body)).status_code in (200, 201)


async def test_a_change_at_once_then_one_per_write(stack: Stack) -> None:
    async with stack.http.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = EventReader(response)
        first = await events.next_event()
        assert first["event"] == "change"
        await _candidate(stack, "a1")
        second = await events.next_event()
        assert second["event"] == "change" and second["id"] != first["id"]
        assert (await stack.http.get("/api/batches")).status_code == 200  # a read: no change to tell
        assert (await stack.http.post("/api/dnc", json={"phone": "+14155550150"})).status_code == 201
        third = await events.next_event()
        assert third["id"] not in (first["id"], second["id"])


async def test_a_batch_stream_follows_its_calls(stack: Stack) -> None:
    body = {"external_id": "ny", "name": "Ny", "phone": "+12125550116", "required_fields": ["start_date"]}
    candidate = (await stack.http.post("/api/candidates", json=body)).json()["id"]
    batch = (await stack.http.post("/api/batches", json={"candidate_ids": [candidate]})).json()["id"]
    async with stack.http.stream("GET", "/api/events", params={"batch_id": batch}) as response:
        events = EventReader(response)
        first = await events.next_event()
        await stack.dispatch()  # dialled and answered: the batch's call moved
        moved = await events.next_event()
        assert moved["id"] != first["id"]
        assert '"batch_id": "' + batch in moved["data"]


async def test_the_pages_cookie_opens_it_and_nothing_else_does(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get("/api/events")).status_code == 401
        assert (await anonymous.get("/api/events", headers={"Authorization": "Bearer wrong"})).status_code == 401
        signed_in = await anonymous.post("/web/login", json={"api_key": API_KEY}, headers={"X-Requested-With": "dialer-ui"})
        assert signed_in.status_code == 204
        async with anonymous.stream("GET", "/api/events") as response:
            assert response.status_code == 200
            assert (await EventReader(response).next_event())["event"] == "change"
    assert (await stack.http.get("/api/events", params={"batch_id": "x" * 65})).status_code == 422


async def test_streams_are_bounded_and_end_when_the_service_stops(stack: Stack) -> None:
    stack.runtime.changes.max_streams = 1
    async with stack.http.stream("GET", "/api/events") as response:
        events = EventReader(response)
        await events.next_event()
        refused = await stack.http.get("/api/events")
        assert refused.status_code == 503 and "too many live pages" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "10"
        stack.runtime.changes.close()
        with pytest.raises(AssertionError, match="the stream ended"):
            await events.next_event()
    assert stack.runtime.changes.streams == 0


def test_dialer_serve_stops_promptly_with_a_live_page_open(database_url: str, tmp_path: Path) -> None:
    """An open stream would otherwise hold uvicorn's graceful shutdown until the stream's own ten-minute end."""
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_API_KEY": API_KEY,
           "DIALER_SANDBOX_PORT": "0", "DIALER_LOG_LEVEL": "WARNING"}
    env.pop("LIVEKIT_URL", None)
    with dialer_serve(env, cwd=ROOT, log_path=tmp_path / "serve.log") as service:
        with httpx.stream("GET", f"{service.base}/api/events", headers={"Authorization": f"Bearer {API_KEY}"},
                          timeout=30) as stream:
            lines = stream.iter_lines()
            assert next(line for line in lines if line.startswith("event:")) == "event: change"
            service.process.send_signal(signal.SIGTERM)
            service.process.wait(timeout=20)  # the 5 s grace, then the stream is cut; far below the stream's 600 s
        assert service.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
