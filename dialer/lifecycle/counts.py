"""Calls by state, kept rather than counted: a `/metrics` scrape sums a few hundred rows instead of counting a calls
table of millions.

The lifecycle notes every state change here as it makes it (`added`, `moved`); the deltas wait in the session and
are written as the transaction commits, in the same transaction, so a rolled-back or retried transaction changes
no count. Every state-changing transaction of every instance writes them, so they are only ever inserted, one new
row per state a transaction changed: an UPDATE of a shared counter row would hold it until the COMMIT is durable
and queue every other commit behind it (the dispatcher's plan among them, holding the trunk's budget row). `fold`
(the reconciler's periodic run) replaces the rows with one per state. Calls are never deleted by the product (no
DELETE on calls anywhere); migration 0007 backfilled the table.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session

from dialer.store.models import Call, CallCount

_PENDING = "dialer.lifecycle.counts"  # session.info key: Counter[state] -> delta


def _pending(session: Session) -> Counter[str]:
    pending: Counter[str] = session.info.setdefault(_PENDING, Counter())
    return pending


def added(session: AsyncSession | Session, state: str, n: int = 1) -> None:
    """`n` new calls in `state` (negative: `n` calls left it)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    _pending(sync)[state] += n


def moved(call: Call, source: str, to: str) -> None:
    """One call left `source` for `to` (its session is the transaction that will commit the change)."""
    if source == to:
        return
    session = object_session(call)
    if session is None:
        raise RuntimeError("a call's state changed outside a session: its count cannot be kept")
    pending = _pending(session)
    pending[source] -= 1
    pending[to] += 1


def moved_many(session: AsyncSession, source: str, to: str, n: int) -> None:
    """`n` calls moved by one statement."""
    if n:
        added(session, source, -n)
        added(session, to, n)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: Counter[str] | None = session.info.pop(_PENDING, None)
    rows = [{"state": state, "n": n} for state, n in sorted((pending or {}).items()) if n != 0]
    if rows:
        session.execute(insert(CallCount), rows)


async def fold(session: AsyncSession) -> None:
    """The rows written so far become one per state. Two folds at once are safe: a row deleted by one is skipped by
    the other's DELETE (which waits for it), so each re-adds only what it removed."""
    removed = await session.execute(delete(CallCount).returning(CallCount.state, CallCount.n))
    totals: Counter[str] = Counter()
    for state, n in removed.all():
        totals[str(state)] += int(n)
    if any(totals.values()):
        await session.execute(insert(CallCount), [{"state": s, "n": n} for s, n in sorted(totals.items()) if n])


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous: object) -> None:
    session.info.pop(_PENDING, None)


async def by_state(session: AsyncSession) -> dict[str, int]:
    """Calls by state, the whole database's, without the states no call is in."""
    query = select(CallCount.state, func.sum(CallCount.n)).group_by(CallCount.state)
    return {str(state): int(n) for state, n in (await session.execute(query)).all() if n}


async def recount(session: AsyncSession) -> dict[str, int]:
    """What the kept counts should say, counted from the calls table (as the migration's backfill does)."""
    rows = await session.execute(select(Call.state, func.count()).group_by(Call.state))
    return {str(state): int(n) for state, n in rows.all()}
