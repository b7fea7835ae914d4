"""Call batches: create (idempotently), follow, pause, resume, cancel."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from dialer.caller_identity import CallerIdentity, resolve_caller
from dialer.clock import Clock
from dialer.errors import Conflict, NotFound, ProblemList
from dialer.lifecycle import OPEN, CallState
from dialer.lifecycle.calls import cancel_batch_calls, insert_calls, new_call_row, release_parked, stop_live_call
from dialer.policy import DecisionCode
from dialer.services.live_calls import end_rooms, live_calls
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.models import Batch, Call, Candidate
from dialer.telephony.base import Telephony

MAX_BATCH = 10_000
_IN_CHUNK = 500


@dataclass(frozen=True)
class BatchInput:
    candidate_ids: list[str]
    name: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    max_attempts: int | None = None
    fields: list[str] | None = None
    caller: CallerIdentity = CallerIdentity()

    def fingerprint(self) -> str:
        body = {
            "candidate_ids": self.candidate_ids,
            "name": self.name,
            "not_before": _instant(self.not_before),
            "not_after": _instant(self.not_after),
            "max_attempts": self.max_attempts,
            "fields": self.fields,
            "caller": self.caller.as_json(),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _instant(value: datetime | None) -> str | None:
    """One spelling per instant: 16:00+01:00 and 15:00Z are the same request under one Idempotency-Key."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat() if value.tzinfo is not None else value.isoformat()


@dataclass(frozen=True)
class BatchView:
    batch: Batch
    counts: dict[str, int]  # calls per state
    outcomes: dict[str, int] = field(default_factory=dict)  # calls per last attempt outcome (e.g. nothing_collected)

    @property
    def status(self) -> str:
        """`completed` once every call has reached a final state; otherwise the stored status."""
        if self.batch.status == "active" and sum(self.counts.values()) > 0:
            if all(self.counts[state] == 0 for state in OPEN):
                return "completed"
        return self.batch.status


class BatchService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        trunk_id: str,
        default_max_attempts: int,
        wake: Callable[[], None],
        caller_defaults: CallerIdentity = CallerIdentity(),
        region: str = "US",
        telephony: Telephony | None = None,
    ) -> None:
        self._telephony = telephony  # to hang up a cancelled batch's live calls
        self._db = db
        self._clock = clock
        self._trunk_id = trunk_id
        self._default_max_attempts = default_max_attempts
        self._wake = wake
        self._caller_defaults = caller_defaults
        self._region = region

    async def create(self, item: BatchInput, *, idempotency_key: str | None = None) -> tuple[BatchView, bool]:
        """Returns (batch, created). Same key + same body: the first batch again; same key, other body: 409."""
        caller = self._validate(item)
        fingerprint = item.fingerprint()
        if idempotency_key:
            replay = await self._replay(idempotency_key, fingerprint)
            if replay is not None:
                return replay, False
        try:
            batch_id = await self._insert(item, idempotency_key, fingerprint, caller)
        except IntegrityError:
            if idempotency_key:  # a concurrent request with the same key won the race
                replay = await self._replay(idempotency_key, fingerprint)
                if replay is not None:
                    return replay, False
            raise
        self._wake()
        return await self.get(batch_id), True

    def _validate(self, item: BatchInput) -> CallerIdentity:
        """Checks the request; returns whom its calls are for (the batch's values over the defaults)."""
        problems = ProblemList()
        caller = resolve_caller(item.caller, self._caller_defaults, region=self._region, problems=problems)
        if not item.candidate_ids:
            problems.add(("candidate_ids",), "give at least one candidate id")
        if len(item.candidate_ids) > MAX_BATCH:
            problems.add(("candidate_ids",), f"at most {MAX_BATCH} candidates per batch (got {len(item.candidate_ids)})")
        seen: set[str] = set()
        for index, cid in enumerate(item.candidate_ids):
            if cid in seen:
                problems.add(("candidate_ids", index), f"candidate {cid} is listed twice")
            seen.add(cid)
        for name, value in (("not_before", item.not_before), ("not_after", item.not_after)):
            if value is not None and value.tzinfo is None:
                problems.add((name,), f"{name} needs a time zone offset, e.g. 2026-12-01T15:00:00Z")
        if item.not_before and item.not_after and item.not_before.tzinfo and item.not_after.tzinfo:
            if item.not_after <= item.not_before:
                problems.add(("not_after",), "not_after must be later than not_before")
        if item.not_after is not None and item.not_after.tzinfo is not None and item.not_after <= self._clock.now():
            problems.add(("not_after",), "not_after is in the past: nobody could be called; give a later time or omit it")
        if item.max_attempts is not None and not 1 <= item.max_attempts <= 10:
            problems.add(("max_attempts",), "max_attempts must be between 1 and 10")
        if item.fields is not None and not item.fields:
            problems.add(("fields",), "fields, when given, must name at least one field (omit it to ask what is missing)")
        problems.raise_if_any()
        return caller

    async def _replay(self, key: str, fingerprint: str) -> BatchView | None:
        async with self._db.transaction() as session:
            batch = await session.scalar(select(Batch).where(Batch.idempotency_key == key))
        if batch is None:
            return None
        if batch.request_hash != fingerprint:
            raise Conflict("this Idempotency-Key was already used with a different request body; use a new key")
        return await self.get(batch.id)

    async def _insert(self, item: BatchInput, key: str | None, fingerprint: str, caller: CallerIdentity) -> str:
        now = self._clock.now()
        batch_id = new_id("bat")
        async with self._db.transaction() as session:
            candidates: dict[str, Candidate] = {}
            for start in range(0, len(item.candidate_ids), _IN_CHUNK):
                chunk = item.candidate_ids[start : start + _IN_CHUNK]
                candidates.update({c.id: c for c in await session.scalars(select(Candidate).where(Candidate.id.in_(chunk)))})
            problems = ProblemList()
            for index, cid in enumerate(item.candidate_ids):
                if cid not in candidates:
                    problems.add(("candidate_ids", index), f"unknown candidate {cid}; create it first")
            problems.raise_if_any()
            max_attempts = item.max_attempts or self._default_max_attempts
            session.add(
                Batch(
                    id=batch_id,
                    name=item.name,
                    status="active",
                    not_before=item.not_before,
                    not_after=item.not_after,
                    max_attempts=max_attempts,
                    fields=item.fields,
                    idempotency_key=key,
                    request_hash=fingerprint,
                    caller=caller.as_json(),
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            first_at = max(now, item.not_before) if item.not_before else now
            rows = []
            for cid in item.candidate_ids:
                candidate = candidates[cid]
                rows.append(
                    new_call_row(
                        candidate=candidate,
                        trunk_id=self._trunk_id,
                        now=now,
                        first_at=first_at,
                        max_attempts=max_attempts,
                        fields=item.fields,
                        batch_id=batch_id,
                        not_before=item.not_before,
                        not_after=item.not_after,
                        caller=caller,
                    )
                )
            await insert_calls(session, rows)
        return batch_id

    async def get(self, batch_id: str) -> BatchView:
        async with self._db.transaction() as session:
            batch = await session.get(Batch, batch_id)
            if batch is None:
                raise NotFound(f"batch {batch_id} not found")
            result = await session.execute(
                select(Call.state, func.count()).where(Call.batch_id == batch_id).group_by(Call.state)
            )
            counts = {state.value: 0 for state in CallState}
            counts.update({state: int(n) for state, n in result.all()})
            by_outcome = await session.execute(
                select(Call.last_outcome, func.count())
                .where(Call.batch_id == batch_id, Call.last_outcome.is_not(None))
                .group_by(Call.last_outcome)
            )
            outcomes = {str(outcome): int(n) for outcome, n in by_outcome.all()}
        return BatchView(batch=batch, counts=counts, outcomes=outcomes)

    async def list_batches(self, *, limit: int = 100) -> list[BatchView]:
        async with self._db.transaction() as session:
            ids = list(await session.scalars(select(Batch.id).order_by(Batch.created_at.desc(), Batch.id).limit(limit)))
        return [await self.get(batch_id) for batch_id in ids]

    async def set_status(self, batch_id: str, status: str) -> BatchView:
        """pause / resume (active) / cancel. Cancelling is final; cancelled calls never dial again."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            batch = await session.get(Batch, batch_id)
            if batch is None:
                raise NotFound(f"batch {batch_id} not found")
            if batch.status == "cancelled" and status != "cancelled":
                raise Conflict("the batch was cancelled; create a new batch to call these candidates again")
            batch.status = status
            batch.updated_at = now
            if status == "cancelled":
                await cancel_batch_calls(session, batch_id, now)
        if status == "active":
            self._wake()
        return await self.get(batch_id)

    async def cancel(self, batch_id: str, *, hang_up: bool = False) -> tuple[BatchView, list[str]]:
        """Cancel (final). With `hang_up`, the batch's live calls (dialling or in a call) are ended now too, their
        rooms deleted; returns the ids of the calls ended. Without it they run to their end, then stop."""
        now = self._clock.now()
        to_end: list[tuple[str, str]] = []
        async with self._db.transaction() as session:
            batch = await session.get(Batch, batch_id, with_for_update=True)
            if batch is None:
                raise NotFound(f"batch {batch_id} not found")
            batch.status = "cancelled"
            batch.updated_at = now
            await cancel_batch_calls(session, batch_id, now)
            if hang_up and self._telephony is not None:
                for call in await live_calls(session, batch_id=batch_id):
                    if call.room_name:
                        stop_live_call(session, call, now=now, code=DecisionCode.BATCH_CANCELLED,
                                       reason="the batch was cancelled with hang-up: the live call is ended")
                        to_end.append((call.id, call.room_name))
        ended = await end_rooms(self._telephony, to_end) if self._telephony is not None and to_end else []
        return await self.get(batch_id), ended

    async def resume(self, batch_id: str) -> BatchView:
        """Calls parked while paused become due now (the calling rules still apply when they are dialled)."""
        view = await self.set_status(batch_id, "active")
        async with self._db.transaction() as session:
            await release_parked(session, batch_id, self._clock.now())
        self._wake()
        return view

