"""What the briefing agent may read: one interview's briefing, and who is calling the briefing number.

Read-only by design: the briefing agent answers interviewers' questions from the record and never writes to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dialer.clock import Clock
from dialer.errors import NotFound
from dialer.phones import InvalidPhoneNumber, normalize_phone
from dialer.services.interviews import hash_pin
from dialer.store.db import Database
from dialer.store.models import Candidate, Interview, Interviewer

LOOK_BACK = timedelta(hours=1)  # an interview that started a moment ago can still be briefed
LOOK_AHEAD = timedelta(hours=24)


class BriefingService:
    def __init__(self, *, db: Database, clock: Clock, default_region: str, secret: str) -> None:
        self._db = db
        self._clock = clock
        self._region = default_region
        self._secret = secret

    async def briefing(self, interview_id: str) -> dict[str, Any]:
        async with self._db.transaction() as session:
            interview = await session.get(Interview, interview_id)
            if interview is None:
                raise NotFound(f"interview {interview_id} not found")
            candidate = await session.get(Candidate, interview.candidate_id)
            interviewer = await session.get(Interviewer, interview.interviewer_id)
        assert candidate is not None and interviewer is not None
        return {
            "interview": {
                "id": interview.id,
                "role": interview.role,
                "scheduled_at": interview.scheduled_at.isoformat(),
                "resume_summary": interview.resume_summary,
                "notes": interview.notes,
            },
            "candidate": {"id": candidate.id, "name": candidate.name, "fields": candidate.fields},
            "interviewer": {"id": interviewer.id, "name": interviewer.name},
        }

    async def identify(self, phone: str) -> dict[str, Any]:
        """The caller's number → interviewer and upcoming interviews; unknown numbers get nothing (then a PIN)."""
        try:
            e164 = normalize_phone(phone, default_region=self._region)
        except InvalidPhoneNumber:
            return {"interviewer": None, "interviews": []}
        async with self._db.transaction() as session:
            interviewer = await session.scalar(select(Interviewer).where(Interviewer.phone == e164))
        return await self._with_interviews(interviewer)

    async def verify_pin(self, pin: str) -> dict[str, Any]:
        async with self._db.transaction() as session:
            interviewer = await session.scalar(
                select(Interviewer).where(Interviewer.pin_hash == hash_pin(pin, secret=self._secret))
            )
        return await self._with_interviews(interviewer)

    async def _with_interviews(self, interviewer: Interviewer | None) -> dict[str, Any]:
        if interviewer is None:
            return {"interviewer": None, "interviews": []}
        now = self._clock.now()
        async with self._db.transaction() as session:
            rows = await session.execute(
                select(Interview, Candidate.name)
                .join(Candidate, Candidate.id == Interview.candidate_id)
                .where(
                    Interview.interviewer_id == interviewer.id,
                    Interview.scheduled_at >= now - LOOK_BACK,
                    Interview.scheduled_at <= now + LOOK_AHEAD,
                )
                .order_by(Interview.scheduled_at, Interview.id)
            )
            interviews = [
                {"id": i.id, "candidate_name": name, "role": i.role, "scheduled_at": i.scheduled_at.isoformat()}
                for i, name in rows.all()
            ]
        return {"interviewer": {"id": interviewer.id, "name": interviewer.name}, "interviews": interviews}
