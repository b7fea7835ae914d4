"""Interviewers (who get briefed) and interviews (what they are briefed on)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from dialer import agent_dispatch
from dialer.clock import Clock
from dialer.errors import Conflict, NotFound, ProblemList
from dialer.phones import InvalidPhoneNumber, normalize_phone
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.models import Candidate, Interview, Interviewer


def hash_pin(pin: str, *, secret: str) -> str:
    """Keyed hash, so a PIN is never stored; useless without the server secret. Checked against one interviewer."""
    return hmac.new(secret.encode(), f"pin:{pin}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class InterviewerInput:
    name: str
    phone: str | None = None
    email: str | None = None
    pin: str | None = None


@dataclass(frozen=True)
class InterviewInput:
    candidate_id: str
    interviewer_id: str
    role: str
    scheduled_at: datetime
    resume_summary: str = ""
    notes: str = ""


class InterviewService:
    def __init__(self, *, db: Database, clock: Clock, default_region: str, secret: str) -> None:
        self._db = db
        self._clock = clock
        self._region = default_region
        self._secret = secret

    async def create_interviewer(self, item: InterviewerInput) -> Interviewer:
        problems = ProblemList()
        phone = None
        if not item.name.strip():
            problems.add(("name",), "name is empty")
        if item.phone:
            try:
                phone = normalize_phone(item.phone, default_region=self._region)
            except InvalidPhoneNumber as exc:
                problems.add(("phone",), str(exc))
        if item.pin is not None and not (item.pin.isascii() and item.pin.isdigit() and 4 <= len(item.pin) <= 8):
            problems.add(("pin",), "pin must be 4 to 8 digits (callers type it on the keypad)")
        problems.raise_if_any()
        interviewer = Interviewer(
            id=new_id("ivr"),
            name=item.name.strip(),
            phone=phone,
            email=item.email,
            pin_hash=hash_pin(item.pin, secret=self._secret) if item.pin else None,
            created_at=self._clock.now(),
        )
        try:
            async with self._db.transaction() as session:
                session.add(interviewer)
        except IntegrityError:
            raise Conflict("an interviewer with this phone or e-mail already exists") from None
        return interviewer

    async def list_interviewers(self) -> list[Interviewer]:
        async with self._db.transaction() as session:
            return list(await session.scalars(select(Interviewer).order_by(Interviewer.created_at, Interviewer.id)))

    async def create_interview(self, item: InterviewInput) -> Interview:
        problems = ProblemList()
        if not item.role.strip():
            problems.add(("role",), "role is empty")
        if item.scheduled_at.tzinfo is None:
            problems.add(("scheduled_at",), "scheduled_at needs a time zone offset, e.g. 2026-12-01T15:00:00Z")
        problems.raise_if_any()
        interview_id = new_id("int")
        async with self._db.transaction() as session:
            if await session.get(Candidate, item.candidate_id) is None:
                raise NotFound(f"candidate {item.candidate_id} not found")
            if await session.get(Interviewer, item.interviewer_id) is None:
                raise NotFound(f"interviewer {item.interviewer_id} not found")
            interview = Interview(
                id=interview_id,
                candidate_id=item.candidate_id,
                interviewer_id=item.interviewer_id,
                role=item.role.strip(),
                scheduled_at=item.scheduled_at,
                resume_summary=item.resume_summary,
                notes=item.notes,
                room_name=agent_dispatch.interview_room(interview_id),
                created_at=self._clock.now(),
            )
            session.add(interview)
        return interview

    async def get_interview(self, interview_id: str) -> Interview:
        async with self._db.transaction() as session:
            interview = await session.scalar(
                select(Interview)
                .where(Interview.id == interview_id)
                .options(selectinload(Interview.candidate), selectinload(Interview.interviewer))
            )
        if interview is None:
            raise NotFound(f"interview {interview_id} not found")
        return interview

    async def find_interview_by_room(self, room_name: str) -> Interview | None:
        async with self._db.transaction() as session:
            return await session.scalar(select(Interview).where(Interview.room_name == room_name))

    async def list_interviews(
        self, *, interviewer_id: str | None = None, candidate_id: str | None = None
    ) -> list[Interview]:
        query = select(Interview).order_by(Interview.scheduled_at, Interview.id)
        if interviewer_id:
            query = query.where(Interview.interviewer_id == interviewer_id)
        if candidate_id:
            query = query.where(Interview.candidate_id == candidate_id)
        async with self._db.transaction() as session:
            return list(await session.scalars(query))
