"""Engine and transactions for SQLite (default) and PostgreSQL, one code path.

SQLite runs in WAL mode and every transaction starts with `BEGIN IMMEDIATE`, so a read-then-write (claim a call,
take a budget slot) never upgrades a shared lock into a `database is locked` failure halfway through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from dialer.logs import hide_driver_values


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})
        _make_sqlite_serializable(engine)
        return engine
    # asyncpg prepares every statement; PostgreSQL's cached *generic* plan for one made while a table was empty (a
    # first bulk upload, then the chunked external_id lookup) stays a Seq Scan. Custom plans cost little here.
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,  # never a bound value in a log line or an exception message
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
    )


def _make_sqlite_serializable(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


CommitHook = Callable[[dict[Any, Any]], None]


class Database:
    """Owns the engine; `transaction()` is the one way code writes."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        hide_driver_values()
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._on_commit: list[CommitHook] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, hook: CommitHook) -> None:
        """`hook(session.info)` after each committed transaction that noted something there (metrics count only
        what really happened: a rolled-back or retried transaction reports nothing)."""
        self._on_commit.append(hook)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            async with session.begin():
                yield session
            if session.info and self._on_commit:
                for hook in self._on_commit:
                    hook(session.info)

    async def dispose(self) -> None:
        await self.engine.dispose()
