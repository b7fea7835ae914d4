"""Shared fixtures. The behaviour suite runs twice: on SQLite and on PostgreSQL (the `database` fixture).

Tests are split by kind, one directory each, and marked by it here (`pytest -m unit`, `-m "not browser"`):
- tests/unit: pure code and fakes of our own interfaces; no database, no server, no subprocess;
- tests/integration: the store on SQLite and PostgreSQL, the sandbox, the API, the engine, end to end, several instances;
- tests/stage: against a real LiveKit server and livekit-sip;
- tests/browser: the web pages in headless Chromium.

PostgreSQL is the server named by DIALER_TEST_POSTGRES_URL (default: 127.0.0.1:5432, database `test`). Each test
session creates its own database there, migrates it once, and empties the tables before every test. When the server
cannot be reached the PostgreSQL half is skipped locally, and fails under CI=true: CI must not pass by skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from config.settings import Settings, load_settings
from dialer.clock import ManualClock
from dialer.store.db import Database
from dialer.store.migrate import upgrade
from dialer.store.models import Base
from tests.receiver import Receiver
from tests.support import API_KEY, T0

TESTS_DIR = Path(__file__).resolve().parent
KINDS = ("unit", "integration", "stage", "browser")
pytest_plugins = ("tests.stage.fixtures",)  # the stage's session fixtures (one stage per test session)

PG_ADMIN_URL = os.environ.get("DIALER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its kind, from the directory it lives in; a test outside the four is refused."""
    for item in items:
        kind = item.path.resolve().relative_to(TESTS_DIR).parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: tests live under tests/{{{','.join(KINDS)}}}/, by kind")
        item.add_marker(getattr(pytest.mark, kind))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_create(name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL), timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _pg_drop(name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A freshly created and migrated PostgreSQL database for this test session."""
    name = f"dialer_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_create(name))
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required under CI=true and cannot be reached: {exc}")
        pytest.skip(f"PostgreSQL not reachable ({exc}); set DIALER_TEST_POSTGRES_URL")
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_pg_drop(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied per test (migrating is slower than copying)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "dialer.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_pg_truncate(url))
    return url


async def _pg_truncate(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url, api_key=API_KEY, secret_key="test-secret-key-0123456789")


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A loopback receiver for the dialer's webhooks out."""
    r = Receiver()
    await r.start()
    yield r
    await r.stop()
