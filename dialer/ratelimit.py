"""Fixed-window rate limits kept in the database, so a limit holds across every instance sharing it.

A bucket names who is counted ("auth-fail:client:127.0.0.1", "pin-fail:interviewer:ivr_…"); its row holds the
window's start and the count so far. One upsert per hit, serialised by the row (PostgreSQL) or the database lock
(SQLite); a new window resets the count in the same statement.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.clock import Clock
from dialer.store.db import Database
from dialer.store.models import RateLimitCounter

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SWEEP_EVERY = 1000  # hits between deletions of windows long past


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `window`; count 0 turns the limit off."""

    count: int
    window: timedelta


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int  # seconds until the window ends (for Retry-After); 0 when allowed


def window_start(now: datetime, window: timedelta) -> datetime:
    seconds = window.total_seconds()
    return _EPOCH + timedelta(seconds=math.floor((now - _EPOCH).total_seconds() / seconds) * seconds)


def fingerprint(secret: str) -> str:
    """A bucket name for a credential that does not store the credential."""
    return hashlib.sha256(secret.encode()).hexdigest()[:24]


class RateLimiter:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._hits = 0

    def _retry_after(self, start: datetime, limit: Limit) -> int:
        return max(1, math.ceil((start + limit.window - self._clock.now()).total_seconds()))

    async def _blocked(self, session: AsyncSession, bucket: str, limit: Limit) -> Verdict:
        if limit.count <= 0:
            return Verdict(True, 0)
        start = window_start(self._clock.now(), limit.window)
        row = (await session.execute(
            select(RateLimitCounter.window_start, RateLimitCounter.count).where(RateLimitCounter.bucket == bucket)
        )).first()
        if row is None or row[0] != start or int(row[1]) < limit.count:
            return Verdict(True, 0)
        return Verdict(False, self._retry_after(start, limit))

    async def _count(self, session: AsyncSession, bucket: str, limit: Limit) -> Verdict:
        now = self._clock.now()
        start = window_start(now, limit.window)
        counter = RateLimitCounter
        if self._db.dialect == "postgresql":
            new = pg_insert(counter).values(bucket=bucket, window_start=start, count=1)
            statement = new.on_conflict_do_update(
                index_elements=[counter.bucket],
                # count + 1 within the same window, else 1: a new window starts over.
                set_={"count": case((counter.window_start == new.excluded.window_start, counter.count + 1), else_=1),
                      "window_start": new.excluded.window_start},
            ).returning(counter.count)
        else:
            lite = sqlite_insert(counter).values(bucket=bucket, window_start=start, count=1)
            statement = lite.on_conflict_do_update(
                index_elements=[counter.bucket],
                set_={"count": case((counter.window_start == lite.excluded.window_start, counter.count + 1), else_=1),
                      "window_start": lite.excluded.window_start},
            ).returning(counter.count)
        count = int((await session.execute(statement)).scalar_one())
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:
            await session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < now - timedelta(days=1)))
        if count > limit.count:
            return Verdict(False, self._retry_after(start, limit))
        return Verdict(True, 0)

    async def check(self, bucket: str, limit: Limit) -> Verdict:
        """Whether `bucket` is still under its limit in this window, without counting a hit."""
        if limit.count <= 0:
            return Verdict(True, 0)
        async with self._db.transaction() as session:
            return await self._blocked(session, bucket, limit)

    async def hit(self, bucket: str, limit: Limit) -> Verdict:
        """Counts one hit; not allowed once the window's count is past the limit."""
        if limit.count <= 0:
            return Verdict(True, 0)
        async with self._db.transaction() as session:
            return await self._count(session, bucket, limit)

    async def check_then_hit(self, blocked: tuple[str, Limit], counted: tuple[str, Limit]) -> tuple[Verdict, Verdict]:
        """One transaction for the common request: is `blocked`'s bucket under its limit, and if so count a hit on
        `counted`'s (a request that is refused is not counted)."""
        if blocked[1].count <= 0 and counted[1].count <= 0:
            return Verdict(True, 0), Verdict(True, 0)
        async with self._db.transaction() as session:
            first = await self._blocked(session, *blocked)
            if not first.allowed or counted[1].count <= 0:
                return first, Verdict(True, 0)
            return first, await self._count(session, *counted)
