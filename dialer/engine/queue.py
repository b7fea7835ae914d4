"""The queue's SQL: claiming due calls and the per-trunk budgets, in one place.

Claiming takes row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already makes the whole
transaction exclusive), and the trunk's budget row is locked first so the concurrency count and the CPS slots are
serialized across every instance sharing the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.clock import Clock
from dialer.engine.guard import REACH, TrunkGuards, slot_interval
from dialer.lifecycle import ACTIVE, CallState, LeaseRules
from dialer.lifecycle.calls import move_lease_to_slot
from dialer.store.models import Batch, Call, TrunkBudget


async def lock_budget(session: AsyncSession, trunk_id: str, now: datetime) -> TrunkBudget:
    """The trunk's budget row, locked for this transaction (created on first use; instances starting together may
    race to create it, so the insert yields to whichever comes first)."""
    query = select(TrunkBudget).where(TrunkBudget.trunk_id == trunk_id).with_for_update()
    budget = await session.scalar(query)
    if budget is None:
        dialect = (await session.connection()).dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(insert(TrunkBudget).values(trunk_id=trunk_id, next_slot_at=now).on_conflict_do_nothing())
        budget = await session.scalar(query)
        assert budget is not None
    return budget


async def count_active(session: AsyncSession, trunk_id: str) -> int:
    query = select(func.count()).select_from(Call).where(Call.trunk_id == trunk_id, Call.state.in_(ACTIVE))
    return int(await session.scalar(query) or 0)


def _due(trunk_id: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    not_paused = select(Batch.id).where(Batch.status == "paused")
    return (
        Call.trunk_id == trunk_id,
        Call.state == CallState.SCHEDULED.value,
        Call.next_attempt_at <= now,
        (Call.batch_id.is_(None)) | (Call.batch_id.not_in(not_paused)),
    )


async def claim_due(session: AsyncSession, *, trunk_id: str, now: datetime, limit: int) -> Sequence[Call]:
    """Scheduled calls whose time has come, oldest first, skipping rows another instance holds and paused batches."""
    query = (
        select(Call)
        .where(*_due(trunk_id, now))
        .order_by(Call.next_attempt_at, Call.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Call)
    )
    return list(await session.scalars(query))


async def next_due_at(session: AsyncSession, *, trunk_id: str) -> datetime | None:
    query = select(func.min(Call.next_attempt_at)).where(Call.trunk_id == trunk_id, Call.state == CallState.SCHEDULED.value)
    value: datetime | None = await session.scalar(query)
    return value


async def count_due(session: AsyncSession, *, trunk_id: str, now: datetime, at_most: int | None = None) -> int:
    """The queue depth: what `claim_due` would find with no limit; `at_most` stops counting there (its cost is the
    rows it reads: a million due calls take a second to count)."""
    due = select(Call.id).where(*_due(trunk_id, now))
    if at_most is not None:
        due = due.limit(at_most)
    return int(await session.scalar(select(func.count()).select_from(due.subquery())) or 0)


async def take_new_slot(
    session: AsyncSession,
    *,
    trunk_id: str,
    clock: Clock,
    lead_s: float = 0.0,
    calls_per_second: float,
    guard_s: float,
    call_id: str,
    attempt_id: str,
    lease: LeaseRules,
) -> datetime:
    """A fresh CPS slot for a dial that missed its own (the budget row locked, as in a dispatch run); the call's
    lease moves with it. The slot is counted from when the lock is held: one counted from before a long wait for it
    would already be past, and the dial would take another, and another. `lead_s` ahead at the least: how long this
    takes, commit included. Spaced, and recorded, like a plan's slots (guard.py)."""
    budget = await lock_budget(session, trunk_id, clock.now())
    now = clock.now()
    slot = max(budget.next_slot_at, now + timedelta(seconds=lead_s))
    guards = TrunkGuards.load(budget.guards)
    budget.next_slot_at = slot + slot_interval(calls_per_second, guards.spacing_s(guard_s, slot))
    budget.guards = guards.recorded(guard_s, until=slot + REACH, now=now).dump()
    await move_lease_to_slot(session, call_id=call_id, attempt_id=attempt_id, slot=slot, lease=lease)
    return slot
