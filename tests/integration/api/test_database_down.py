"""The API with its database gone (a PostgreSQL that refuses connections, an SQLite database that cannot be used):
503 with Retry-After and a message saying so, never a bare 500; a statement the database refuses is not an outage."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from api.app import create_app
from config.settings import load_settings
from dialer.runtime import Runtime
from dialer.store.retry import database_unavailable
from tests.support import API_KEY, api_client

UNREACHABLE = {
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere",  # the discard port: nothing listens
    "sqlite": "sqlite+aiosqlite:///{tmp}",  # a folder, not a database file: it cannot be opened
}


@pytest.mark.parametrize("dialect", sorted(UNREACHABLE))
async def test_requests_get_503_with_retry_after_while_the_database_is_unreachable(dialect: str, tmp_path: Path) -> None:
    url = UNREACHABLE[dialect].format(tmp=tmp_path)
    runtime = Runtime.build(load_settings(database_url=url, api_key=API_KEY, secret_key="test-secret-key-0123456789"))
    try:
        async with api_client(create_app(runtime, manage_runtime=False)) as http:
            http.headers["Authorization"] = f"Bearer {API_KEY}"
            for method, path, body in (("GET", "/api/batches", None), ("POST", "/api/dnc", {"phone": "+12125550100"})):
                response = await http.request(method, path, json=body)
                assert response.status_code == 503, response.text
                assert response.headers["Retry-After"] == "5"
                assert "database is unavailable" in response.json()["detail"]
            health = await http.get("/health")  # no credential, so no rate limit: the route's own check
            assert health.status_code == 503 and health.json()["status"] == "unavailable", health.text
    finally:
        await runtime.stop()


def test_only_an_unreachable_database_counts_as_unavailable() -> None:
    assert database_unavailable(ConnectionRefusedError())
    assert database_unavailable(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert not database_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_unavailable(ValueError())
