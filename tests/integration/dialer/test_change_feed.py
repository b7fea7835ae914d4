"""The live pages' change feed on a database that drops a connection mid-transaction (a failover, a restart, a
killed backend): the rollback goes through and the feed stays usable, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import insert, select

from dialer.services.changes import ChangeFeed
from dialer.store.db import Database
from dialer.store.models import DoNotCall
from tests.support import T0


async def test_a_dropped_connection_rolls_back_cleanly_and_later_writes_still_wake_the_pages(
    database: Database,
) -> None:
    feed = ChangeFeed(db=database, check_s=60)
    async with database.engine.connect() as conn:
        await conn.begin()
        await conn.execute(insert(DoNotCall).values(phone="+12125550100", reason="", created_at=T0))
        await conn.invalidate()  # as when the server goes away under the transaction
        await conn.rollback()  # raised PendingRollbackError from the feed's rollback hook before
    assert feed.version == 0  # nothing was committed
    async with database.transaction() as session:
        assert list(await session.scalars(select(DoNotCall))) == []
        session.add(DoNotCall(phone="+12125550101", reason="", created_at=T0))
    assert feed.version == 1
