"""Events for the recruiter's system, written to the outbox in the same transaction as the change they report.

`call.report` is assembled when it is first sent (a few seconds after the hang-up), so the agent's last transcript
turns are in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.store.ids import new_id
from dialer.store.models import Attempt, Call, OutboxEvent

REPORT_DELAY = timedelta(seconds=10)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def enqueue(session: AsyncSession, kind: str, payload: dict[str, Any], *, at: datetime, delay: timedelta = timedelta(0)) -> None:
    session.add(
        OutboxEvent(
            id=new_id("evt"),
            kind=kind,
            payload=payload,
            created_at=at,
            next_attempt_at=at + delay,
            attempts=0,
        )
    )


def _attempt_ref(call: Call, attempt: Attempt) -> dict[str, Any]:
    """What every attempt-level event names first: which call, batch, candidate and attempt, and how it ended."""
    return {
        "call_id": call.id,
        "batch_id": call.batch_id,
        "candidate_id": call.candidate_id,
        "attempt": attempt.number,
        "outcome": attempt.outcome,
    }


def attempt_ended(session: AsyncSession, call: Call, attempt: Attempt) -> None:
    assert attempt.ended_at is not None
    payload = {
        **_attempt_ref(call, attempt),
        "number_flagged": attempt.outcome == "wrong_person",  # the number reached someone else: not retried
        "sip_status_code": attempt.sip_status_code,
        "started_at": _iso(attempt.started_at),
        "answered_at": _iso(attempt.answered_at),
        "ended_at": _iso(attempt.ended_at),
        "duration_s": attempt.duration_s,
        "call_state": call.state,
        "next_attempt_at": _iso(call.next_attempt_at),
        "simulated": attempt.simulated,  # the built-in sandbox: no phone rang
    }
    enqueue(session, "call.ended", payload, at=attempt.ended_at)
    if attempt.answered_at is not None:
        enqueue(
            session,
            "call.report",
            {"call_id": call.id, "attempt_id": attempt.id},
            at=attempt.ended_at,
            delay=REPORT_DELAY,
        )


def call_not_placed(session: AsyncSession, call: Call, attempt: Attempt, *, detail: str) -> None:
    """An attempt that never rang the candidate (no agent took its room's job, or it was held back as the LiveKit
    circuit opened) and was given back: not a `call.ended`, since nobody was called and no attempt was spent, but the
    recruiter's system sees the attempt number it used and when the call will be tried again (or that it was
    cancelled with its batch)."""
    assert attempt.ended_at is not None
    payload = {
        **_attempt_ref(call, attempt),
        "detail": detail,
        "attempt_counted": False,
        "at": _iso(attempt.ended_at),
        "call_state": call.state,
        "next_attempt_at": _iso(call.next_attempt_at),
        "simulated": attempt.simulated,
    }
    enqueue(session, "call.not_placed", payload, at=attempt.ended_at)


def field_collected(
    session: AsyncSession, call: Call, *, name: str, value: str | None, status: str, at: datetime, simulated: bool = False
) -> None:
    enqueue(
        session,
        "fields.collected",
        {"call_id": call.id, "candidate_id": call.candidate_id, "field": name, "value": value, "status": status,
         "at": at.isoformat(), "simulated": simulated},
        at=at,
    )
