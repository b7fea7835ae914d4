"""What the benchmarks share: a scratch database (SQLite file, or a PostgreSQL database created and dropped around
the run, as tests/conftest.py does), percentiles, and the `--database-url` option.

Benchmarks print figures; they assert nothing about time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from dialer.store.db import Database
from dialer.store.migrate import upgrade

DATABASE_HELP = (
    "default: a fresh SQLite file in a temporary directory. With postgresql+asyncpg://USER@HOST:PORT/DB the "
    "benchmark connects to DB only to create a scratch database next to it, migrates that, and drops it afterwards."
)


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help=DATABASE_HELP)


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    """A migrated, empty database URL for one run; removed afterwards."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="dialer-bench-") as tmp:
            scratch = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await _migrate(scratch)
            yield scratch
        return
    if not url.startswith("postgresql+asyncpg://"):
        raise SystemExit("--database-url must be postgresql+asyncpg://USER@HOST:PORT/DB (or omitted for SQLite)")
    name = f"dialer_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_plain_dsn(url), timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        await _migrate(scratch)
        yield scratch
    finally:
        admin = await asyncpg.connect(_plain_dsn(url), timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def describe_database(url: str) -> str:
    return "SQLite (WAL, temporary file)" if url.startswith("sqlite") else "PostgreSQL (scratch database)"


def quantile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank quantile (q in [0, 1]) of a non-empty sample."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms_summary(samples: Sequence[float]) -> str:
    """p50 / p99 / max in milliseconds, from seconds."""
    if not samples:
        return "no samples"
    return (
        f"p50 {statistics.median(samples) * 1000:8.1f} ms   p99 {quantile(samples, 0.99) * 1000:8.1f} ms   "
        f"max {max(samples) * 1000:8.1f} ms   (n={len(samples)})"
    )
