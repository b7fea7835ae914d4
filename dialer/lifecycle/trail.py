"""The decision trail: one line per thing that happened to a call, said so a recruiter can read it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.policy import DecisionCode
from dialer.store.models import Decision


def decide(session: AsyncSession, call_id: str, at: datetime, code: DecisionCode, reason: str) -> None:
    session.add(Decision(call_id=call_id, at=at, code=code.value, reason=reason))
