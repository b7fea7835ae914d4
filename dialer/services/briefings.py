"""What the briefing agent may read: one interview's briefing, and who is calling the briefing number.

Read-only by design: the briefing agent answers interviewers' questions from the record and never writes to it.

Caller ID (`sip.phoneNumber`) is the SIP From header, which anyone can set. It names who the caller *claims* to be;
the PIN proves it, checked against that one interviewer's PIN only (never a search of everyone's), with a limited
number of wrong tries per interviewer. Only when the inbound trunk admits the carrier alone (provisioned so:
`caller_id_trusted`) is the number believed without a PIN.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dialer.clock import Clock
from dialer.errors import NotFound, TooManyAttempts
from dialer.phones import InvalidPhoneNumber, normalize_phone
from dialer.ratelimit import Limit, RateLimiter
from dialer.services.interviews import hash_pin
from dialer.store.db import Database
from dialer.store.models import Candidate, Interview, Interviewer

LOOK_BACK = timedelta(hours=1)  # an interview that started a moment ago can still be briefed
LOOK_AHEAD = timedelta(hours=24)
DEFAULT_PIN_FAILURES = Limit(5, timedelta(minutes=15))


class BriefingService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        default_region: str,
        secret: str,
        caller_id_trusted: bool = False,
        limiter: RateLimiter | None = None,
        pin_failures: Limit = DEFAULT_PIN_FAILURES,
    ) -> None:
        self._db = db
        self._clock = clock
        self._region = default_region
        self._secret = secret
        self._trusted = caller_id_trusted
        self._limiter = limiter or RateLimiter(db=db, clock=clock)
        self._pin_failures = pin_failures

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

    async def _claimed(self, phone: str | None) -> Interviewer | None:
        if not phone:
            return None
        try:
            e164 = normalize_phone(phone, default_region=self._region)
        except InvalidPhoneNumber:
            return None
        async with self._db.transaction() as session:
            return await session.scalar(select(Interviewer).where(Interviewer.phone == e164))

    async def identify(self, phone: str) -> dict[str, Any]:
        """The caller's number → interviewer and upcoming interviews, only where caller ID can be believed;
        otherwise nothing (`pin_required`), and the agent asks for the PIN."""
        if not self._trusted:
            return {"interviewer": None, "interviews": [], "pin_required": True}
        return {**await self._with_interviews(await self._claimed(phone)), "pin_required": False}

    async def verify_pin(self, pin: str, phone: str | None) -> dict[str, Any]:
        """The PIN of the interviewer the caller's number claims; wrong tries are limited per interviewer (429)."""
        interviewer = await self._claimed(phone)
        if interviewer is None or interviewer.pin_hash is None:
            return {"interviewer": None, "interviews": [], "pin_required": True}
        bucket = f"pin-fail:interviewer:{interviewer.id}"
        allowed = await self._limiter.check(bucket, self._pin_failures)
        if not allowed.allowed:
            raise TooManyAttempts("too many wrong PINs for this interviewer; try again later", retry_after_s=allowed.retry_after_s)
        if hmac.compare_digest(interviewer.pin_hash, hash_pin(pin, secret=self._secret)):
            return {**await self._with_interviews(interviewer), "pin_required": False}
        await self._limiter.hit(bucket, self._pin_failures)
        return {"interviewer": None, "interviews": [], "pin_required": True}

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
