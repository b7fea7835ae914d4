"""Brute-force limits (issue #13): by client and by credential, 429 with Retry-After, across instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from config.settings import Settings
from dialer.clock import ManualClock
from dialer.runtime import Runtime
from tests.support import api_client

WRONG = {"Authorization": "Bearer wrong-key"}


@pytest.fixture
async def two_instances(settings: Settings, clock: ManualClock) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two dialer instances on one database (each its own Runtime and app), like two processes behind a balancer."""
    limited = settings.model_copy(update={"auth_failures_per_minute": 10, "requests_per_minute": 30})
    first, second = Runtime.build(limited, clock=clock), Runtime.build(limited, clock=clock)
    async with api_client(create_app(first, manage_runtime=False)) as a, api_client(create_app(second, manage_runtime=False)) as b:
        yield a, b
    await first.stop()
    await second.stop()


async def test_failed_keys_are_limited_per_client_across_instances(
    two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient], auth: dict[str, str], clock: ManualClock
) -> None:
    a, b = two_instances
    for attempt in range(10):
        response = await (a if attempt % 2 else b).get("/api/batches", headers=WRONG)
        assert response.status_code == 401, (attempt, response.text)
    refused = await a.get("/api/batches", headers=WRONG)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["errors"] and "failed authentications" in refused.json()["detail"]
    # While blocked even the right key is refused, so a guess cannot be told right from wrong by its answer.
    assert (await b.get("/api/batches", headers=auth)).status_code == 429
    assert (await b.post("/web/login", json={"api_key": "x"}, headers={"X-Requested-With": "dialer-ui"})).status_code == 429
    clock.advance(timedelta(seconds=int(refused.headers["Retry-After"])))
    assert (await b.get("/api/batches", headers=auth)).status_code == 200


async def test_web_sign_in_failures_count_too(two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    a, _ = two_instances
    ui = {"X-Requested-With": "dialer-ui"}
    statuses = [(await a.post("/web/login", json={"api_key": f"guess-{i}"}, headers=ui)).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429], statuses


async def test_forged_agent_credentials_count_too(two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    a, _ = two_instances
    path = "/api/agent/calls/call_x/context"
    statuses = [(await a.get(path, headers={"Authorization": f"Bearer v1.call.call_x.9999999999.{i}"})).status_code for i in range(11)]
    assert statuses[-1] == 429 and set(statuses[:10]) == {401}, statuses


async def test_requests_are_limited_per_credential(
    two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient], auth: dict[str, str], clock: ManualClock
) -> None:
    a, b = two_instances
    statuses = [(await (a, b)[i % 2].get("/api/batches", headers=auth)).status_code for i in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    clock.advance(timedelta(minutes=1))
    assert (await a.get("/api/batches", headers=auth)).status_code == 200
