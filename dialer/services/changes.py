"""What the live pages watch: a cheap fingerprint of the data they show, re-read when something may have changed.

A committed write on this instance (seen on the engine: an INSERT, UPDATE or DELETE, then COMMIT) wakes every
waiting stream at once; writes by other instances sharing the database are found by re-reading every `check_s`.
A stream sends an event only when the fingerprint differs from the last one it sent, so a page refetches only
after a real change, and one request per change replaces a poll every few seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from sqlalchemy import event, func, select

from dialer.store.db import Database
from dialer.store.models import Attempt, Batch, Call, Candidate, CollectedField, Decision, DoNotCall, TranscriptTurn

_WROTE = "dialer.changes.wrote"


class ChangeFeed:
    def __init__(self, *, db: Database, check_s: float, max_streams: int = 100) -> None:
        self._db = db
        self.check_s = check_s
        self.max_streams = max_streams
        self.streams = 0
        self._changed = asyncio.Event()
        self._closed = False
        self._version = 0
        self._watch(db)

    def _watch(self, db: Database) -> None:
        engine = db.engine.sync_engine

        @event.listens_for(engine, "after_cursor_execute")
        def _after_execute(conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: Any) -> None:
            if context is not None and (context.isinsert or context.isupdate or context.isdelete):
                conn.info[_WROTE] = True

        @event.listens_for(engine, "commit")
        def _on_commit(conn: Any) -> None:
            if conn.info.pop(_WROTE, False):
                self.poke()

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Any) -> None:
            # A connection the database dropped has no info left to clear, and asking for it would raise in the
            # middle of SQLAlchemy's rollback (PendingRollbackError), failing the request that hit the outage.
            if not conn.invalidated:
                conn.info.pop(_WROTE, None)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def version(self) -> int:
        """Counts the wake-ups; a stream that saw version n and finds n+k knows something was written meanwhile."""
        return self._version

    def poke(self) -> None:
        """Something was committed here: wake every stream (it re-reads the fingerprint and decides)."""
        self._version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def close(self) -> None:
        """The service is stopping: every stream ends (so a graceful shutdown does not wait for open pages)."""
        self._closed = True
        self.poke()

    async def wait(self, seen: int, timeout_s: float) -> None:
        """Until a write after version `seen`, the service closing, or `timeout_s` (then re-read anyway)."""
        if self._version != seen or self._closed:
            return
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout=timeout_s)
        except TimeoutError:
            pass

    async def fingerprint(self, batch_id: str | None = None) -> str:
        """A digest of what the dashboard and the candidates pages show (one batch's calls, or all of them)."""
        calls = select(Call.state, func.count(), func.max(Call.updated_at), func.sum(Call.attempts_made))
        attempts = select(func.count(), func.count(Attempt.answered_at), func.count(Attempt.ended_at))
        if batch_id is not None:
            calls = calls.where(Call.batch_id == batch_id)
            attempts = attempts.join(Call, Call.id == Attempt.call_id).where(Call.batch_id == batch_id)
        statements = [
            select(Batch.status, func.count(), func.max(Batch.updated_at)).group_by(Batch.status).order_by(Batch.status),
            calls.group_by(Call.state).order_by(Call.state),
            attempts,
            select(func.max(Decision.id)),
            select(func.max(TranscriptTurn.id)),
            select(func.max(CollectedField.id)),
            select(func.count(), func.max(Candidate.updated_at)).select_from(Candidate),
            select(func.count()).select_from(DoNotCall),
        ]
        digest = hashlib.sha256()
        async with self._db.transaction() as session:
            for statement in statements:
                digest.update(repr((await session.execute(statement)).all()).encode())
        return digest.hexdigest()[:16]
