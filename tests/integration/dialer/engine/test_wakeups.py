"""LISTEN/NOTIFY wake-ups: one instance's announcement wakes the others at once; the listener survives its
connection being killed; on SQLite only the local dispatcher is woken."""

from __future__ import annotations

import asyncio

import asyncpg

from dialer.engine.wakeups import Wakeups, asyncpg_dsn
from dialer.store.db import Database

WAIT_S = 10.0  # an upper bound for a wake-up that normally takes milliseconds


class Woken:
    def __init__(self) -> None:
        self.count = 0
        self._event = asyncio.Event()

    def __call__(self) -> None:
        self.count += 1
        self._event.set()

    async def next(self) -> None:
        await asyncio.wait_for(self._event.wait(), WAIT_S)
        self._event.clear()


def test_dsn_for_asyncpg() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p@127.0.0.1:5432/db") == "postgresql://u:p@127.0.0.1:5432/db"


async def test_on_sqlite_only_the_local_dispatcher_is_woken(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    woken = Woken()
    wakeups = Wakeups(db=db, trunk_id="ST_a", wake=woken)
    await wakeups.start()
    wakeups.announce()
    assert woken.count == 1 and not wakeups.enabled and not wakeups.connected.is_set()
    await wakeups.stop()
    await db.dispose()


async def test_an_announcement_wakes_every_instance_and_the_listener_reconnects(postgres_url: str) -> None:
    here_db, there_db = Database(postgres_url), Database(postgres_url)
    here, there, other_trunk = Woken(), Woken(), Woken()
    announcer = Wakeups(db=here_db, trunk_id="ST_a", wake=here)
    listener = Wakeups(db=there_db, trunk_id="ST_a", wake=there)
    elsewhere = Wakeups(db=there_db, trunk_id="ST_b", wake=other_trunk)
    try:
        for wakeups in (listener, elsewhere):
            await wakeups.start()
            await asyncio.wait_for(wakeups.connected.wait(), WAIT_S)
        await there.next()  # connecting wakes once: anything announced while away was missed
        await other_trunk.next()

        announcer.announce()
        assert here.count == 1  # at once, locally
        await there.next()
        assert listener.received == 1

        # Kill the listener's connection, as a restart or a failover would.
        admin = await asyncpg.connect(asyncpg_dsn(postgres_url))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'"
            )
        finally:
            await admin.close()
        assert killed >= 1
        await there.next()  # reconnected, and woke once for what it may have missed
        assert listener.connections == 2
        await asyncio.wait_for(listener.connected.wait(), WAIT_S)

        announcer.announce()
        await there.next()
        assert listener.received == 2
        assert elsewhere.received == 0  # another trunk's dispatcher is not disturbed
    finally:
        for wakeups in (announcer, listener, elsewhere):
            await wakeups.stop()
        await here_db.dispose()
        await there_db.dispose()
