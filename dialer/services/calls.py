"""Calls: one call now (the recruiter's "Call candidate" button), listing, and one call with its whole history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.clock import Clock
from dialer.caller_identity import CallerIdentity, resolve_caller
from dialer.errors import Conflict, InvalidInput, NotFound, Problem, ProblemList
from dialer.lifecycle import OPEN, CallState
from dialer.lifecycle.calls import insert_calls, new_call_row
from dialer.store.db import Database
from dialer.store.models import Attempt, Call, Candidate, CollectedField, Decision, TranscriptTurn

CALL_STATES = tuple(state.value for state in CallState)


@dataclass(frozen=True)
class CallDetail:
    call: Call
    attempts: list[Attempt]
    decisions: list[Decision]
    collected: list[CollectedField]
    candidate_name: str = ""


@dataclass(frozen=True)
class CallRecord:
    call: Call
    candidate_name: str
    attempt_numbers: dict[str, int]  # attempt id -> its number
    turns: list[TranscriptTurn]
    collected: list[CollectedField]


class CallService:
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
    ) -> None:
        self._db = db
        self._clock = clock
        self._trunk_id = trunk_id
        self._max_attempts = default_max_attempts
        self._wake = wake
        self._caller_defaults = caller_defaults
        self._region = region

    async def call_now(
        self, candidate_id: str, caller: CallerIdentity = CallerIdentity(), *, again: bool = False
    ) -> Call:
        """Due at once, but still subject to every calling rule (window, do-not-call, nothing missing). A candidate
        whose call already completed is rung again only when the caller says so (`again`): a person who already
        talked to the agent is not called twice by a stray click."""
        problems = ProblemList()
        resolved = resolve_caller(caller, self._caller_defaults, region=self._region, problems=problems)
        problems.raise_if_any()
        now = self._clock.now()
        async with self._db.transaction() as session:
            candidate = await session.get(Candidate, candidate_id)
            if candidate is None:
                raise NotFound(f"candidate {candidate_id} not found")
            open_call = await session.scalar(
                select(Call.id).where(Call.candidate_id == candidate_id, Call.state.in_(OPEN)).limit(1)
            )
            if open_call is not None:
                raise Conflict(f"candidate {candidate_id} already has an open call ({open_call}); follow or cancel it")
            if not again:
                done = await session.scalar(
                    select(Call.id).where(Call.candidate_id == candidate_id, Call.state == CallState.COMPLETED).limit(1)
                )
                if done is not None:
                    raise Conflict(
                        f"candidate {candidate_id} was already called and that call completed ({done}); "
                        'to call once more, send "again": true'
                    )
            row = new_call_row(
                candidate=candidate,
                trunk_id=self._trunk_id,
                now=now,
                first_at=now,
                max_attempts=self._max_attempts,
                fields=None,
                batch_id=None,
                source="api",
                caller=resolved,
            )
            await insert_calls(session, [row])
        self._wake()
        return await self._get_call(row["id"])

    async def _get_call(self, call_id: str) -> Call:
        async with self._db.transaction() as session:
            call = await session.get(Call, call_id)
        if call is None:
            raise NotFound(f"call {call_id} not found")
        return call

    async def list_calls(
        self,
        *,
        batch_id: str | None = None,
        candidate_id: str | None = None,
        state: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[CallDetail]:
        if state is not None and state not in CALL_STATES:
            raise InvalidInput([Problem(("state",), f"unknown state {state!r}; use one of {', '.join(CALL_STATES)}")])
        query = select(Call).order_by(Call.id).limit(limit)
        if batch_id:
            query = query.where(Call.batch_id == batch_id)
        if candidate_id:
            query = query.where(Call.candidate_id == candidate_id)
        if state:
            query = query.where(Call.state == state)
        if after:
            query = query.where(Call.id > after)
        async with self._db.transaction() as session:
            calls = list(await session.scalars(query))
            return await self._details(session, calls)

    async def get(self, call_id: str) -> CallDetail:
        async with self._db.transaction() as session:
            call = await session.get(Call, call_id)
            if call is None:
                raise NotFound(f"call {call_id} not found")
            return (await self._details(session, [call]))[0]

    async def record(self, call_id: str) -> CallRecord:
        """What was said on the call and what was saved from it, each with the attempt it belongs to."""
        async with self._db.transaction() as session:
            call = await session.get(Call, call_id)
            if call is None:
                raise NotFound(f"call {call_id} not found")
            attempts = {a.id: a.number for a in await session.scalars(select(Attempt).where(Attempt.call_id == call_id))}
            turns = list(
                await session.scalars(
                    select(TranscriptTurn).where(TranscriptTurn.call_id == call_id).order_by(TranscriptTurn.id)
                )
            )
            collected = list(
                await session.scalars(
                    select(CollectedField).where(CollectedField.call_id == call_id).order_by(CollectedField.id)
                )
            )
            name = await session.scalar(select(Candidate.name).where(Candidate.id == call.candidate_id))
        return CallRecord(call=call, candidate_name=name or "", attempt_numbers=attempts, turns=turns, collected=collected)

    async def _details(self, session: AsyncSession, calls: list[Call]) -> list[CallDetail]:
        ids = [c.id for c in calls]
        if not ids:
            return []
        attempts = list(await session.scalars(select(Attempt).where(Attempt.call_id.in_(ids)).order_by(Attempt.number)))
        decisions = list(await session.scalars(select(Decision).where(Decision.call_id.in_(ids)).order_by(Decision.id)))
        names = dict(
            (await session.execute(select(Candidate.id, Candidate.name).where(Candidate.id.in_({c.candidate_id for c in calls})))).all()
        )
        collected = list(
            await session.scalars(select(CollectedField).where(CollectedField.call_id.in_(ids)).order_by(CollectedField.id))
        )
        return [
            CallDetail(
                call=c,
                attempts=[a for a in attempts if a.call_id == c.id],
                decisions=[d for d in decisions if d.call_id == c.id],
                collected=[f for f in collected if f.call_id == c.id],
                candidate_name=names.get(c.candidate_id, ""),
            )
            for c in calls
        ]
