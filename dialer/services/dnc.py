"""The do-not-call list: numbers (E.164) that are never dialled again, whichever batch they come from."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.clock import Clock
from dialer.errors import NotFound, ProblemList
from dialer.phones import InvalidPhoneNumber, normalize_phone
from dialer.store.db import Database
from dialer.lifecycle.calls import stop_live_call
from dialer.policy import DecisionCode
from dialer.services.live_calls import end_rooms, live_calls
from dialer.store.models import Candidate, DoNotCall
from dialer.telephony.base import Telephony


async def add_number(session: AsyncSession, phone: str, reason: str, clock: Clock) -> None:
    """Idempotent; used inside other transactions too (e.g. the callee asks on the phone)."""
    if await session.get(DoNotCall, phone) is None:
        session.add(DoNotCall(phone=phone, reason=reason[:200], created_at=clock.now()))


class DoNotCallService:
    def __init__(self, *, db: Database, clock: Clock, default_region: str, telephony: Telephony | None = None) -> None:
        self._telephony = telephony  # to end a live call to a number put on the list
        self._db = db
        self._clock = clock
        self._region = default_region

    def _normalize(self, raw: str) -> str:
        problems = ProblemList()
        try:
            return normalize_phone(raw, default_region=self._region)
        except InvalidPhoneNumber as exc:
            problems.add(("phone",), str(exc))
        problems.raise_if_any()
        raise AssertionError("unreachable")

    async def add(self, raw_phone: str, reason: str = "") -> tuple[str, list[str]]:
        """On the list at once; a live call to the number (dialling or in a call) is ended now, its room deleted.
        Returns the number as stored and the ids of the calls ended."""
        phone = self._normalize(raw_phone)
        now = self._clock.now()
        to_end: list[tuple[str, str]] = []
        async with self._db.transaction() as session:
            await add_number(session, phone, reason, self._clock)
            candidate_ids = list(await session.scalars(select(Candidate.id).where(Candidate.phone == phone)))
            if candidate_ids and self._telephony is not None:
                for call in await live_calls(session, candidate_ids=candidate_ids):
                    if call.room_name:
                        stop_live_call(session, call, now=now, code=DecisionCode.DO_NOT_CALL,
                                       reason="the number was put on the do-not-call list: the live call is ended")
                        to_end.append((call.id, call.room_name))
        ended = await end_rooms(self._telephony, to_end) if self._telephony is not None and to_end else []
        return phone, ended

    async def remove(self, raw_phone: str) -> None:
        phone = self._normalize(raw_phone)
        async with self._db.transaction() as session:
            result = await session.execute(delete(DoNotCall).where(DoNotCall.phone == phone))
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("that number is not on the do-not-call list")

    async def list_numbers(self, *, after: str | None = None, limit: int = 100) -> tuple[list[DoNotCall], str | None]:
        """A page of the list in number order, and where the next one starts (None: no more)."""
        query = select(DoNotCall).order_by(DoNotCall.phone).limit(limit + 1)
        if after is not None:
            query = query.where(DoNotCall.phone > after)
        async with self._db.transaction() as session:
            rows = list(await session.scalars(query))
        page = rows[:limit]
        return page, (page[-1].phone if len(rows) > limit else None)

    async def contains(self, phone: str) -> bool:
        async with self._db.transaction() as session:
            return await session.scalar(select(DoNotCall.phone).where(DoNotCall.phone == phone)) is not None
