"""Several instances on PostgreSQL (issue 6). Prints figures; asserts nothing.

  1. saturation   N calls due at once (one batch), CPS cap C, with 1, 2 and 3 `dialer serve` processes: the rate of
                  SIP requests LiveKit (the sandbox process) received from the first to the last, as a share of the
                  cap (dispatch efficiency), the busiest one-second window, each instance's share, and the CPU the
                  dialer processes and the sandbox used per dial (/proc; the sandbox sends its webhooks to instance
                  0, as a load balancer would pick one). Each instance count runs twice, back to back: the baseline
                  (a fixed 100 ms guard, or with --baseline-tree the code of another checkout, e.g. the commit
                  before, `git worktree add /tmp/base <commit>`) and the current code with its earned guard.
  2. latency      due -> SIP request at LiveKit, below the cap, with 1, 2 and 3 instances, two ways a call becomes due:
                  announced  POST /api/calls (round robin over the instances) -> NOTIFY -> every dispatcher wakes;
                  timed      next_attempt_at passes with nobody announcing it: found by the tick (1 s) or by a run
                             that another dial's completion started.
  3. claim cost   one dispatcher claim (lock the budget row, SELECT ... FOR UPDATE SKIP LOCKED LIMIT 200 of due
                  calls, rolled back) with 1,000 and with 1,000,000 due calls queued (inserted with INSERT ... SELECT
                  generate_series), median of repeated runs; the ratio is the figure. Also the /metrics scrape
                  queries (calls by state from the kept counts, queue depth counted up to 10,000) at both sizes,
                  beside the baseline: the scrape as it was, counting the calls table (GROUP BY state, every due
                  call).

Numbers are busy (SIP 486 at once). Run from the repository root (PostgreSQL from DIALER_TEST_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432/test; each part creates and drops its own database):
  /work/venv/bin/python bench/multi_instance.py
  /work/venv/bin/python bench/multi_instance.py --calls 2000 --cap 100 --instances 1,2,3 --rows 1000,1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from dialer.clock import SystemClock  # noqa: E402
from dialer.engine import queue  # noqa: E402
from dialer.engine.circuit import CircuitBreaker  # noqa: E402
from dialer.engine.metrics import DialerMetrics  # noqa: E402
from dialer.store.db import Database  # noqa: E402
from dialer.store.migrate import upgrade  # noqa: E402
from dialer.store.models import Call  # noqa: E402
from dialer_testing.cluster import (  # noqa: E402
    API_KEY,
    BUSY,
    CONSENT,
    Cluster,
    create_database,
    daytime_busy_number,
    drop_database,
    max_in_any_window,
)

TRUNK = "ST_sandbox"


def settings(cap: float) -> dict[str, str]:
    return {
        "DIALER_CALLS_PER_SECOND": str(cap),
        "DIALER_MAX_CONCURRENT_CALLS": "10000",
        "DIALER_CALL_WINDOW_START": "08:00",
        "DIALER_CALL_WINDOW_END": "21:00",
        "DIALER_CALL_WEEKDAYS": "0,1,2,3,4,5,6",
        "DIALER_DISPATCH_INTERVAL_S": "1",
        "DIALER_RINGING_TIMEOUT_S": "5",
        "DIALER_DIAL_LEASE_S": "10",
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def _ended(cluster: Cluster, n: int) -> bool:
    return int(await cluster.scalar("SELECT count(*) FROM attempts WHERE ended_at IS NOT NULL")) >= n


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def saturation(
    instances: int, calls: int, cap: float, guard_ms: tuple[int, int] | None, root: Path | None = None
) -> tuple[float, float]:
    """One run; returns its efficiency and the dialers' CPU per dial. `guard_ms` None: the code's own default guard
    (a baseline checkout in `root` may predate the settings)."""
    url = await create_database()
    guard = {} if guard_ms is None else {"DIALER_CPS_GUARD_MIN_MS": str(guard_ms[0]), "DIALER_CPS_GUARD_MAX_MS": str(guard_ms[1])}
    with tempfile.TemporaryDirectory() as logs:
        extra = {"root": root} if root is not None else {}
        cluster = await Cluster.start(url, Path(logs), instances=instances, settings=settings(cap) | guard,
                                      webhooks=True, **extra)
        try:
            pids = [d.process.pid for d in cluster.dialers]
            dialer_cpu = [cpu_seconds(pid) for pid in pids]
            sandbox_cpu = cpu_seconds(cluster.sandbox.process.pid)
            await cluster.create_batch(calls, via=(0, instances - 1))
            await cluster.wait_for(lambda: _ended(cluster, calls), timeout_s=calls / cap * 3 + 60, what="all dialled")
            dialer_cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, dialer_cpu)]
            sandbox_cpu = cpu_seconds(cluster.sandbox.process.pid) - sandbox_cpu
            sip = await cluster.sandbox.records("CreateSIPParticipant")
            times = sorted(r["received_at"] for r in sip)
            span = times[-1] - times[0]
            rate = (len(times) - 1) / span if span > 0 else float("nan")
            shares = []
            for i in range(instances):
                text = await cluster.metrics(i)
                line = next((l for l in text.splitlines() if l.startswith('dialer_attempts_ended_total{outcome="busy"}')), "x 0")
                shares.append(int(float(line.split()[-1])))
            doubled = sum(1 for n in Counter(r["room"] for r in sip).values() if n > 1)
            if guard_ms is None:
                kind = f"code at {root}, its default guard"
            elif guard_ms[0] == guard_ms[1]:
                kind = f"fixed {guard_ms[0]} ms guard"
            else:
                kind = f"guard earned in {guard_ms[0]}-{guard_ms[1]} ms"
            print(
                f"  {instances} instance(s), {kind}: {len(sip)} SIP requests in {span:.1f}s = {rate:.1f}/s, "
                f"efficiency {rate / cap:.1%} of the cap, busiest second {max_in_any_window(times)} (cap {cap:g}), "
                f"shares {shares}, dialled twice: {doubled}; CPU per dial: dialers {sum(dialer_cpu) / calls * 1000:.1f} ms "
                f"(busiest instance {max(dialer_cpu) / span:.0%} of a core), LiveKit sandbox "
                f"{sandbox_cpu / calls * 1000:.1f} ms (webhooks to instance 0)"
            )
            return rate / cap, sum(dialer_cpu) / calls
        finally:
            await cluster.stop()
            await drop_database(url)


async def latency(instances: int, calls: int, cap: float, rate: float) -> None:
    url = await create_database()
    with tempfile.TemporaryDirectory() as logs:
        cluster = await Cluster.start(url, Path(logs), instances=instances, settings=settings(cap))
        try:
            # Announced: one POST /api/calls every 1/rate s, round robin over the instances.
            number = daytime_busy_number()
            ids: list[str] = []
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as http:
                bulk = [{"external_id": f"l-{i}", "name": "L", "phone": number,
                         "required_fields": ["start_date"], "consent": CONSENT} for i in range(2 * calls)]
                created = await http.post(f"{cluster.dialers[0].url}/api/candidates/bulk", json={"candidates": bulk})
                ids = [item["id"] for item in created.json()["items"]]
                started = time.perf_counter()
                for i, candidate in enumerate(ids[:calls]):
                    delay = started + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    dialer = cluster.dialers[i % instances]
                    (await http.post(f"{dialer.url}/api/calls", json={"candidate_id": candidate})).raise_for_status()
            await cluster.wait_for(lambda: _ended(cluster, calls), timeout_s=60, what="announced calls dialled")
            announced = await _latencies(cluster, "SELECT id, created_at AS due FROM calls")

            # Timed: a batch parked in the future, then its due times spread at `rate`/s starting 2 s from now.
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as http:
                later = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
                batch = await http.post(
                    f"{cluster.dialers[0].url}/api/batches", json={"candidate_ids": ids[calls:], "not_before": later}
                )
                batch_id = batch.json()["id"]
            start = datetime.now(timezone.utc) + timedelta(seconds=2)
            await cluster.scalar(
                "UPDATE calls SET not_before = NULL, next_attempt_at = $2::timestamptz + make_interval(secs => n.k / $3::float8) "
                "FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM calls WHERE batch_id = $1) AS n "
                "WHERE calls.id = n.id", batch_id, start, rate,
            )
            due = {r["id"]: r["next_attempt_at"] for r in await cluster.rows(
                "SELECT id, next_attempt_at FROM calls WHERE batch_id = $1", batch_id)}
            await cluster.wait_for(lambda: _ended(cluster, 2 * calls), timeout_s=calls / rate + 60, what="timed calls")
            sip = {r["room"]: r["received_at"] for r in await cluster.sandbox.records("CreateSIPParticipant")}
            timed = [(sip[f"call-{cid}-1"] - at.timestamp()) * 1000 for cid, at in due.items() if f"call-{cid}-1" in sip]
            for name, values in (("announced", announced), ("timed", timed)):
                print(
                    f"  {instances} instance(s), {name:9s}: n={len(values)} due -> SIP p50 {pct(values, 50):.0f} ms, "
                    f"p95 {pct(values, 95):.0f} ms, p99 {pct(values, 99):.0f} ms, max {max(values):.0f} ms"
                )
        finally:
            await cluster.stop()
            await drop_database(url)


async def _latencies(cluster: Cluster, sql: str) -> list[float]:
    due = {r["id"]: r["due"] for r in await cluster.rows(sql)}
    sip = {r["room"]: r["received_at"] for r in await cluster.sandbox.records("CreateSIPParticipant")}
    return [(sip[f"call-{cid}-1"] - at.timestamp()) * 1000 for cid, at in due.items() if f"call-{cid}-1" in sip]


async def _counting_scrape(db: Database) -> None:
    """The scrape before issue 16, for the baseline: calls by state grouped over the calls table, and every due
    call counted."""
    async with db.sessions() as session:
        await session.execute(select(Call.state, func.count()).group_by(Call.state))
        await queue.count_due(session, trunk_id=TRUNK, now=datetime.now(timezone.utc))


async def claim_cost(sizes: list[int], repeats: int) -> None:
    results: dict[int, tuple[float, float, float]] = {}
    for size in sizes:
        url = await create_database()
        db = Database(url)
        try:
            await upgrade(db)
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                began = time.perf_counter()
                now = datetime.now(timezone.utc)
                try:  # skip the per-row foreign-key triggers while bulk loading (superuser only; else just slower)
                    await conn.execute("SET session_replication_role = replica")
                except asyncpg.PostgresError:
                    pass
                await conn.execute(
                    "INSERT INTO candidates (id, external_id, name, phone, fields, required_fields, created_at, updated_at) "
                    "VALUES ('cand_bench', 'bench', 'Bench', $1, '{}', '[\"start_date\"]', $2, $2)", BUSY, now,
                )
                await conn.execute(
                    "INSERT INTO calls (id, candidate_id, trunk_id, state, fields_to_ask, max_attempts, attempts_made, "
                    "next_attempt_at, source, created_at, updated_at) "
                    "SELECT 'call_' || lpad(g::text, 10, '0'), 'cand_bench', $1, 'scheduled', '[]', 3, 0, "
                    "$2::timestamptz - make_interval(secs => g / 1000.0), 'api', $2, $2 FROM generate_series(1, $3::int) AS g",
                    TRUNK, now, size,
                )
                # Rows written around the lifecycle: their kept counts as migration 0007 backfills them.
                await conn.execute(
                    "INSERT INTO call_counts (state, n) SELECT state, count(*) FROM calls GROUP BY state"
                )
                await conn.execute("ANALYZE calls")
                inserted = time.perf_counter() - began
            finally:
                await conn.close()
            claims, scrapes, counting = [], [], []
            metrics = DialerMetrics(
                circuit=CircuitBreaker(clock=SystemClock(), failure_threshold=5, cooldown=timedelta(seconds=30)),
                webhook_failures=lambda: 0, trunk_id=TRUNK,
            )
            for _ in range(repeats):
                async with db.sessions() as session:
                    t0 = time.perf_counter()
                    async with session.begin():
                        await queue.lock_budget(session, TRUNK, datetime.now(timezone.utc))
                        claimed = await queue.claim_due(session, trunk_id=TRUNK, now=datetime.now(timezone.utc), limit=200)
                        assert len(claimed) == min(200, size)
                        await session.rollback()
                    claims.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                await metrics.refresh(db, datetime.now(timezone.utc))
                scrapes.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                await _counting_scrape(db)
                counting.append((time.perf_counter() - t0) * 1000)
            results[size] = (statistics.median(claims), statistics.median(scrapes), inserted)
            print(
                f"  {size:>9,} due calls: inserted in {inserted:.2f}s; claim of 200 median {results[size][0]:.2f} ms; "
                f"/metrics queries median {results[size][1]:.1f} ms (baseline, counting the calls table at the "
                f"scrape as before the kept counts: {statistics.median(counting):.1f} ms)"
            )
        finally:
            await db.dispose()
            await drop_database(url)
    if len(sizes) >= 2:
        small, large = results[sizes[0]], results[sizes[-1]]
        print(
            f"  claim cost ratio {sizes[-1]:,} / {sizes[0]:,} rows: {large[0] / small[0]:.2f}x; "
            f"/metrics scrape ratio: {large[1] / small[1]:.1f}x"
        )


async def main(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.instances.split(",")]
    if not args.skip_saturation:
        print(f"saturation: {args.calls} calls due at once, cap {args.cap:g} CPS; each instance count with the "
              f"fixed {args.baseline_guard_ms} ms guard (the baseline) and the earned guard, back to back")
        for n in counts:
            if args.baseline_tree:
                before, cpu_before = await saturation(n, args.calls, args.cap, None, Path(args.baseline_tree))
            else:
                fixed = (args.baseline_guard_ms, args.baseline_guard_ms)
                before, cpu_before = await saturation(n, args.calls, args.cap, fixed)
            after, cpu_after = await saturation(n, args.calls, args.cap, (args.guard_min_ms, args.guard_max_ms))
            print(f"    {n} instance(s): efficiency {before:.1%} → {after:.1%} ({after / before:.2f}×); dialers' CPU "
                  f"per dial {cpu_before * 1000:.1f} → {cpu_after * 1000:.1f} ms ({cpu_after / cpu_before:.2f}×)")
    if not args.skip_latency:
        print(f"latency: {args.latency_calls} calls becoming due at {args.rate:g}/s, cap {args.cap:g} CPS")
        for n in counts:
            await latency(n, args.latency_calls, args.cap, args.rate)
    if not args.skip_claim:
        print(f"claim cost ({args.repeats} repeats)")
        await claim_cost([int(n) for n in args.rows.split(",")], args.repeats)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--cap", type=float, default=100.0)
    parser.add_argument("--instances", default="1,2,3")
    parser.add_argument("--latency-calls", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="calls becoming due per second in the latency part")
    parser.add_argument("--rows", default="1000,1000000")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--baseline-guard-ms", type=int, default=100, help="the fixed CPS guard of the baseline runs")
    parser.add_argument("--baseline-tree", default=None,
                        help="a checkout of the baseline commit (git worktree add): its dialers run the baseline runs")
    parser.add_argument("--guard-min-ms", type=int, default=100, help="the earned guard's floor (DIALER_CPS_GUARD_MIN_MS)")
    parser.add_argument("--guard-max-ms", type=int, default=250, help="its ceiling (DIALER_CPS_GUARD_MAX_MS)")
    parser.add_argument("--skip-saturation", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-claim", action="store_true")
    asyncio.run(main(parser.parse_args()))
