"""Crash recovery across instances: an instance SIGKILLed mid-dialling, and PostgreSQL connections killed under load.

Nothing is lost (every call gets its attempt, and every attempt ends), nothing is dialled twice (at most one
CreateSIPParticipant per room `call-<id>-<attempt>` at the sandbox), and the reconciler of the surviving instances
settles what the dead one left in `dialing` once its lease (ringing 5 s + lease 10 s, the minimums) runs out.
The real PostgreSQL restart runs on a private server (initdb in a temporary directory), never the shared one.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

from dialer_testing.cluster import Cluster, max_in_any_window
from dialer_testing.private_postgres import PrivatePostgres
from tests.integration.multi.test_three_instances import SETTINGS

CALLS = 600
CAP = int(SETTINGS["DIALER_CALLS_PER_SECOND"])


async def _settled(cluster: Cluster) -> bool:
    """Every call has had its attempt and none is dialling or in a call (the reconciler included)."""
    open_or_unattempted = await cluster.scalar(
        "SELECT count(*) FROM calls WHERE attempts_made = 0 OR state IN ('dialing', 'in_call')"
    )
    unended = await cluster.scalar("SELECT count(*) FROM attempts WHERE ended_at IS NULL")
    return int(open_or_unattempted) == 0 and int(unended) == 0


async def _ended(cluster: Cluster, at_least: int) -> bool:
    return int(await cluster.scalar("SELECT count(*) FROM attempts WHERE ended_at IS NOT NULL")) >= at_least


async def _check_nothing_lost_nothing_doubled(cluster: Cluster, batch_id: str, *, cps_held: bool) -> Counter[str]:
    """`cps_held`: also check the CPS cap. Not under a storm of dropped database connections: every process then
    reconnects at once on two cores, and a stall after a request passed its slot check can exceed the guard."""
    sip = await cluster.sandbox.records("CreateSIPParticipant")
    per_room = Counter(r["room"] for r in sip)
    assert max(per_room.values()) == 1, [room for room, n in per_room.items() if n > 1]
    calls = await cluster.rows("SELECT id, state, attempts_made FROM calls WHERE batch_id = $1", batch_id)
    assert len(calls) == CALLS
    attempts = await cluster.rows("SELECT call_id, number, ended_at, outcome FROM attempts")
    assert len(attempts) == sum(c["attempts_made"] for c in calls)
    assert all(a["ended_at"] is not None for a in attempts)
    assert {c["id"] for c in calls} == {a["call_id"] for a in attempts}  # every call was attempted
    assert set(per_room) <= {f"call-{a['call_id']}-{a['number']}" for a in attempts}  # no dial without its record
    if cps_held:
        assert max_in_any_window([r["received_at"] for r in sip]) <= CAP
    return Counter(a["outcome"] for a in attempts)


async def test_sigkill_mid_dialling_loses_nothing_and_dials_nothing_twice(fresh_database: str, tmp_path: Path) -> None:
    cluster = await Cluster.start(fresh_database, tmp_path, instances=3, settings=SETTINGS, webhooks=True)
    victim = cluster.dialers[2]
    try:
        batch_id = await cluster.create_batch(CALLS, via=(0, 0))
        await cluster.wait_for(lambda: _ended(cluster, CALLS // 4), timeout_s=60, what="a quarter dialled")

        # Freeze the victim, see what it holds, then kill it: no race between looking and killing.
        held: list[str] = []
        for _ in range(100):
            victim.process.send_signal(signal.SIGSTOP)
            held = [r["current_attempt_id"] for r in await cluster.rows(
                "SELECT current_attempt_id FROM calls WHERE state = 'dialing' AND lease_owner LIKE $1",
                f"%-{victim.process.pid}-%",
            )]
            if held:
                break
            victim.process.send_signal(signal.SIGCONT)
            await asyncio.sleep(0.05)
        assert held, "the victim never held a call in dialing"
        victim.kill()
        victim.process.send_signal(signal.SIGCONT)  # a stopped process dies only once it runs again
        await victim.process.wait()

        await cluster.wait_for(lambda: _settled(cluster), timeout_s=90, what="every call settled")
        outcomes = await _check_nothing_lost_nothing_doubled(cluster, batch_id, cps_held=True)
        # The attempts the victim held (by attempt: on a slow machine a survivor may already have retried the call).
        settled = await cluster.rows("SELECT id, outcome, error FROM attempts WHERE id = ANY($1::text[])", held)
        assert len(settled) == len(held)
        assert all(row["outcome"] == "error" and "reconciled" in (row["error"] or "") for row in settled)
        assert set(outcomes) <= {"busy", "error"}
        # Every error is the reconciler settling a dial its instance stopped answering for: the victim's, and on a
        # starved shared machine now and then a survivor's that outlived its lease. Never an error of another kind.
        errors = await cluster.rows("SELECT call_id, error FROM attempts WHERE outcome = 'error'")
        assert all("reconciled" in (row["error"] or "") for row in errors), errors
        for survivor in cluster.dialers[:2]:
            assert survivor.process.returncode is None
    finally:
        await cluster.stop()


async def _kill_connections(cluster: Cluster) -> int:
    return int(await cluster.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ))


async def test_database_connections_killed_under_load(fresh_database: str, tmp_path: Path) -> None:
    cluster = await Cluster.start(fresh_database, tmp_path, instances=3, settings=SETTINGS, webhooks=True)
    try:
        batch_id = await cluster.create_batch(CALLS, via=(0, 1))
        killed = 0
        for fraction in (0.2, 0.45, 0.7):
            await cluster.wait_for(lambda: _ended(cluster, int(CALLS * fraction)), timeout_s=60, what="progress")
            killed += await _kill_connections(cluster)
        assert killed >= 3  # at least each instance's wake-up listener each time
        await cluster.wait_for(lambda: _settled(cluster), timeout_s=90, what="every call settled")
        await _check_nothing_lost_nothing_doubled(cluster, batch_id, cps_held=False)
        for dialer in cluster.dialers:
            assert dialer.process.returncode is None
            assert "wake-up listener lost its connection" in dialer.log.read_text()  # and it came back
    finally:
        await cluster.stop()


async def test_postgresql_restart_under_load(private_postgres: PrivatePostgres, tmp_path: Path) -> None:
    # A server of our own: restarting the shared one would break every other test using it.
    url = private_postgres.database("dialer")
    cluster = await Cluster.start(url, tmp_path, instances=3, settings=SETTINGS, webhooks=True)
    try:
        batch_id = await cluster.create_batch(CALLS, via=(0, 1))
        await cluster.wait_for(lambda: _ended(cluster, CALLS // 3), timeout_s=60, what="a third dialled")
        await asyncio.to_thread(private_postgres.restart, down_s=2.0)  # two seconds without a database
        await cluster.wait_for(lambda: _settled(cluster), timeout_s=120, what="every call settled")
        await _check_nothing_lost_nothing_doubled(cluster, batch_id, cps_held=False)
        for dialer in cluster.dialers:
            assert dialer.process.returncode is None
    finally:
        await cluster.stop()
