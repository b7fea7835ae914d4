"""Multi-instance tests: real `dialer serve` processes sharing one fresh PostgreSQL database per test.

PostgreSQL is required (several instances need it); as in the main suite, an unreachable server skips these tests
locally and fails them under CI=true.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from dialer_testing import private_postgres as private
from dialer_testing.cluster import PG_ADMIN_URL, create_database, drop_database


@pytest.fixture
async def fresh_database() -> AsyncIterator[str]:
    try:
        url = await create_database()
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required under CI=true and cannot be reached: {exc}")
        pytest.skip(f"PostgreSQL not reachable ({exc}); set DIALER_TEST_POSTGRES_URL")
    yield url
    await drop_database(url)


@pytest.fixture
def private_postgres() -> Iterator[private.PrivatePostgres]:
    """A PostgreSQL server of this test's own, free to restart."""
    if not private.available():
        if os.environ.get("CI") == "true":
            pytest.fail("the PostgreSQL server binaries (initdb, pg_ctl) are required under CI=true")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found")
    server = private.PrivatePostgres.create()
    yield server
    server.destroy()
