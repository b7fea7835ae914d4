"""The queue's SQL: claiming due calls and the per-trunk budgets, in one place.

Claiming takes row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already makes the whole
transaction exclusive), and the trunk's budget row is locked first so the concurrency count and the CPS slots are
serialized across every instance sharing the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.store.models import Batch, Call, TrunkBudget

ACTIVE_STATES = ("dialing", "in_call")


async def lock_budget(session: AsyncSession, trunk_id: str, now: datetime) -> TrunkBudget:
    """The trunk's budget row, locked for this transaction (created on first use)."""
    query = select(TrunkBudget).where(TrunkBudget.trunk_id == trunk_id).with_for_update()
    budget = await session.scalar(query)
    if budget is None:
        session.add(TrunkBudget(trunk_id=trunk_id, next_slot_at=now))
        await session.flush()
        budget = await session.scalar(query)
        assert budget is not None
    return budget


async def count_active(session: AsyncSession, trunk_id: str) -> int:
    query = select(func.count()).select_from(Call).where(Call.trunk_id == trunk_id, Call.state.in_(ACTIVE_STATES))
    return int(await session.scalar(query) or 0)


async def claim_due(session: AsyncSession, *, trunk_id: str, now: datetime, limit: int) -> Sequence[Call]:
    """Scheduled calls whose time has come, oldest first, skipping rows another instance holds and paused batches."""
    not_paused = select(Batch.id).where(Batch.status == "paused")
    query = (
        select(Call)
        .where(
            Call.trunk_id == trunk_id,
            Call.state == "scheduled",
            Call.next_attempt_at <= now,
            (Call.batch_id.is_(None)) | (Call.batch_id.not_in(not_paused)),
        )
        .order_by(Call.next_attempt_at, Call.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Call)
    )
    return list(await session.scalars(query))


async def next_due_at(session: AsyncSession, *, trunk_id: str) -> datetime | None:
    query = select(func.min(Call.next_attempt_at)).where(Call.trunk_id == trunk_id, Call.state == "scheduled")
    value: datetime | None = await session.scalar(query)
    return value
