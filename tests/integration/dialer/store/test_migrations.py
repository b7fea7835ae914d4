"""Migrations are the only way the schema is made, so they must agree with the models on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dialer.store.db import Database
from dialer.store.migrate import current_revision, downgrade, head_revision, upgrade
from dialer.store.models import Base


async def _diff(db: Database) -> list[object]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )


async def test_models_and_migrations_agree(database: Database) -> None:
    assert await current_revision(database) == head_revision()
    assert await _diff(database) == []


async def test_upgrade_is_idempotent_and_downgrade_round_trips(database: Database) -> None:
    await upgrade(database)
    await downgrade(database, "base")
    assert await current_revision(database) is None
    await upgrade(database)
    assert await current_revision(database) == head_revision()
    assert await _diff(database) == []
