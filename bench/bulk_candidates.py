"""Bulk candidate upload (issue 2): 10,000 candidates through the service and through the HTTP API, against one raw
`executemany` INSERT of the same rows. Prints figures; asserts nothing about time.

The rows look like an ATS export: reserved fiction numbers (+1 NPA 555-01XX) over ten area codes, two profile
fields, three required fields, and a time zone on three records in four (the fourth has none). Per repetition:

  raw            the rows as the service stores them (ids, E.164 phones, JSON, timestamps) in one driver-level
                 executemany INSERT in one transaction, on the same pooled connection: the floor for this database.
  create         CandidateService.bulk_upsert on an empty table: 10,000 inserts.
  create, tz all the same with a time zone on every record (shows what mixed NULLs cost the ORM's bulk insert).
  update         bulk_upsert of the same 10,000 again (a field changed), right after `create`: 10,000 updates.
  update, new pool  the same after the connection pool was emptied (new connections, no cached statement plans).
  validate       only the service's per-record validation and normalization (phonenumbers, zone names), no I/O.
  API            POST /api/candidates/bulk through httpx + ASGITransport (JSON, pydantic, auth), on an empty table.

Ratios are against `raw` measured in the same run. `stmts` is the number of SQL statements the pass sent.

Run from the repository root:
  /work/venv/bin/python bench/bulk_candidates.py
  /work/venv/bin/python bench/bulk_candidates.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import delete, event, func, select  # noqa: E402

from api.app import create_app  # noqa: E402
from bench.support import add_database_option, describe_database, scratch_database  # noqa: E402
from config.settings import load_settings  # noqa: E402
from dialer.errors import ProblemList  # noqa: E402
from dialer.runtime import Runtime  # noqa: E402
from dialer.services.candidates import BulkResult, CandidateInput, validated_row  # noqa: E402
from dialer.store.db import Database  # noqa: E402
from dialer.store.ids import new_id  # noqa: E402
from dialer.store.models import Candidate  # noqa: E402

API_KEY = "bench-api-key"
AREA_CODES = ("212", "312", "213", "415", "617", "305", "206", "512", "303", "404")
MIXED_ZONES = (None, "America/New_York", "America/Chicago", "America/Los_Angeles")
ALL_ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles")
COLUMNS = ("id", "external_id", "name", "phone", "timezone", "fields", "required_fields", "created_at", "updated_at")

PASSES = {
    "raw": "raw executemany INSERT (baseline)",
    "create": "service bulk_upsert, all new",
    "create_tz": "  … every record with a time zone",
    "update": "service bulk_upsert, all existing",
    "update_fresh": "  … after emptying the pool",
    "validate": "  validation only, no I/O",
    "api": "HTTP POST /api/candidates/bulk, new",
}
FIRST_PASSES = {
    "first_create": "service bulk_upsert, all new",
    "first_update": "service bulk_upsert, all existing",
}


def make_inputs(count: int, *, revision: int, zones: tuple[str | None, ...] = MIXED_ZONES) -> list[CandidateInput]:
    """`revision` changes a field value, so a later pass is a real update of every row."""
    return [
        CandidateInput(
            external_id=f"ats-{i:06d}",
            name=f"Candidate {i}",
            phone=f"+1 {AREA_CODES[i % len(AREA_CODES)]} 555 01{i % 100:02d}",
            timezone=zones[i % len(zones)],
            fields={"current_title": "Account Executive", "quota_attainment": f"{90 + i % 40 + revision}%"},
            required_fields=["quota_attainment", "start_date", "notice_period_weeks"],
        )
        for i in range(count)
    ]


def as_json(inputs: list[CandidateInput]) -> bytes:
    return json.dumps(
        {
            "candidates": [
                {"external_id": c.external_id, "name": c.name, "phone": c.phone, "timezone": c.timezone,
                 "fields": c.fields, "required_fields": c.required_fields}
                for c in inputs
            ]
        }
    ).encode()


def normalized_rows(inputs: list[CandidateInput]) -> list[dict[str, Any]]:
    """What the service stores for each input, by the service's own normalization."""
    problems = ProblemList()
    rows = [validated_row(item, ("candidates", i), "US", problems, call_regions=frozenset({"US"})) for i, item in enumerate(inputs)]
    problems.raise_if_any()
    return rows


async def raw_insert(db: Database, rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT on the driver connection (same pool, same pragmas), in one transaction."""
    now = datetime.now(timezone.utc)
    sqlite = db.dialect == "sqlite"
    stamp: str | datetime = now.replace(tzinfo=None).isoformat(sep=" ") if sqlite else now  # SQLite: SQLAlchemy's text form
    params = [
        (new_id("cand"), r["external_id"], r["name"], r["phone"], r["timezone"], json.dumps(r["fields"]),
         json.dumps(r["required_fields"]), stamp, stamp)
        for r in rows
    ]
    placeholders = ", ".join("?" if sqlite else f"${n}" for n in range(1, len(COLUMNS) + 1))
    sql = f"INSERT INTO candidates ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # aiosqlite.Connection or asyncpg.Connection
        if sqlite:
            await driver.execute("BEGIN IMMEDIATE")
            await driver.executemany(sql, params)
            await driver.execute("COMMIT")
        else:
            async with driver.transaction():
                await driver.executemany(sql, params)


async def empty_candidates(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(delete(Candidate))


async def count_candidates(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Candidate)) or 0)


@dataclass
class Figures:
    seconds: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in {**PASSES, **FIRST_PASSES}})
    statements: dict[str, int] = field(default_factory=dict)


class StatementCounter:
    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


async def measure(figures: Figures, name: str, counter: StatementCounter, work: Callable[[], Awaitable[Any]]) -> Any:
    before = counter.count
    started = time.perf_counter()
    result = await work()
    figures.seconds[name].append(time.perf_counter() - started)
    figures.statements[name] = counter.count - before
    return result


def expect(result: BulkResult, *, created: int = 0, updated: int = 0) -> None:
    if (result.created, result.updated) != (created, updated):
        raise RuntimeError(f"unexpected bulk result: {result.created} created, {result.updated} updated")


async def one_repetition(runtime: Runtime, http: httpx.AsyncClient, figures: Figures, count: int) -> None:
    db, service = runtime.db, runtime.candidates
    counter = StatementCounter(db)
    mixed, mixed_again = make_inputs(count, revision=0), make_inputs(count, revision=1)
    mixed_third, zoned = make_inputs(count, revision=2), make_inputs(count, revision=3, zones=ALL_ZONES)
    rows = normalized_rows(mixed)
    body = as_json(mixed)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

    await measure(figures, "raw", counter, lambda: raw_insert(db, rows))
    figures.statements["raw"] = 1  # one executemany on the driver, below SQLAlchemy's statement events
    if await count_candidates(db) != count:
        raise RuntimeError("raw insert wrote an unexpected number of rows")
    await empty_candidates(db)

    expect(await measure(figures, "create", counter, lambda: service.bulk_upsert(mixed)), created=count)
    expect(await measure(figures, "update", counter, lambda: service.bulk_upsert(mixed_again)), updated=count)
    await db.engine.dispose()  # next checkout: new connections, nothing prepared or planned yet
    expect(await measure(figures, "update_fresh", counter, lambda: service.bulk_upsert(mixed_third)), updated=count)
    await measure(figures, "validate", counter, lambda: _validate(mixed))
    await empty_candidates(db)

    expect(await measure(figures, "create_tz", counter, lambda: service.bulk_upsert(zoned)), created=count)
    await empty_candidates(db)

    async def post() -> None:
        response = await http.post("/api/candidates/bulk", content=body, headers=headers)
        response.raise_for_status()
        if response.json()["created"] != count:
            raise RuntimeError(f"API created {response.json()['created']} of {count}")

    await measure(figures, "api", counter, post)
    await empty_candidates(db)


async def first_upload(runtime: Runtime, figures: Figures, count: int) -> None:
    """Once, on the new database: its first bulk upload, then the same records again on the same connection."""
    counter = StatementCounter(runtime.db)
    service = runtime.candidates
    first, again = make_inputs(count, revision=0), make_inputs(count, revision=1)
    expect(await measure(figures, "first_create", counter, lambda: service.bulk_upsert(first)), created=count)
    expect(await measure(figures, "first_update", counter, lambda: service.bulk_upsert(again)), updated=count)
    await empty_candidates(runtime.db)


async def _validate(inputs: list[CandidateInput]) -> None:
    normalized_rows(inputs)


async def run(database_url: str, count: int, repeat: int) -> Figures:
    settings = load_settings(database_url=database_url, api_key=API_KEY, secret_key="bench-secret-key-0123456789")
    runtime = Runtime.build(settings)
    figures = Figures()
    transport = httpx.ASGITransport(app=create_app(runtime, manage_runtime=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://dialer.bench", timeout=300) as http:
            await first_upload(runtime, figures, count)  # also the warm-up: imports, first connection
            for _ in range(repeat):
                await one_repetition(runtime, http, figures, count)
    finally:
        await runtime.db.dispose()
    return figures


def report(url: str, count: int, repeat: int, figures: Figures) -> None:
    median = {name: statistics.median(values) for name, values in figures.seconds.items()}
    raw = median["raw"]
    print(f"bulk candidates: {count:,} rows, {describe_database(url)}, median of {repeat} run(s)")
    print(f"  {'':38s} {'seconds':>8s} {'rows/s':>9s} {'× raw':>7s} {'stmts':>7s}   min–max s")
    for name, label in PASSES.items():
        values = figures.seconds[name]
        print(
            f"  {label:38s} {median[name]:8.3f} {count / median[name]:9,.0f} {median[name] / raw:7.2f} "
            f"{figures.statements[name]:7d}   {min(values):.3f}–{max(values):.3f}"
        )
    print("  first upload into the new database's never-filled table (once), then the same records again:")
    for name, label in FIRST_PASSES.items():
        seconds = figures.seconds[name][0]
        print(f"  {label:38s} {seconds:8.3f} {count / seconds:9,.0f} {seconds / raw:7.2f} {figures.statements[name]:7d}")
    print(f"  API over the service (create): {median['api'] - median['create']:+.3f} s, "
          f"{median['api'] / median['create']:.2f}× the service time")


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    async with scratch_database(args.database_url) as url:
        figures = await run(url, args.count, args.repeat)
    report(url, args.count, args.repeat, figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="rows per pass (the API takes at most 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; medians are printed")
    add_database_option(parser)
    asyncio.run(main(parser.parse_args()))
