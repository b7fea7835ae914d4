"""Recording what happened to an attempt, whoever reports it first: the SIP response, a LiveKit webhook, the agent.

Every function is idempotent and tolerates being called out of order: an attempt that has ended is never reopened,
and an answer reported after the hang-up changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.engine import events
from dialer.policy import Outcome, RetryPolicy
from dialer.policy.outcome import CANDIDATE_CLOSED
from dialer.store.models import Attempt, Call, Decision


def add_decision(session: AsyncSession, call_id: str, at: datetime, code: str, reason: str) -> None:
    session.add(Decision(call_id=call_id, at=at, code=code, reason=reason))


async def load_attempt(session: AsyncSession, attempt_id: str) -> tuple[Attempt, Call] | None:
    """Locks the call, then the attempt: every writer takes them in this order, so two never deadlock."""
    call_id = await session.scalar(select(Attempt.call_id).where(Attempt.id == attempt_id))
    if call_id is None:
        return None
    call = await session.get(Call, call_id, with_for_update=True, populate_existing=True)
    attempt = await session.get(Attempt, attempt_id, with_for_update=True, populate_existing=True)
    assert call is not None and attempt is not None
    return attempt, call


async def attempt_for_room(session: AsyncSession, room_name: str) -> tuple[Attempt, Call] | None:
    call = await session.scalar(select(Call).where(Call.room_name == room_name).with_for_update())
    if call is None or call.current_attempt_id is None:
        return None
    return await load_attempt(session, call.current_attempt_id)


def mark_answered(attempt: Attempt, call: Call, at: datetime) -> None:
    if attempt.ended_at is not None:
        return
    if attempt.answered_at is None:
        attempt.answered_at = at
    if call.state == "dialing" and call.current_attempt_id == attempt.id:
        call.state = "in_call"
        call.updated_at = at


def end_attempt(
    session: AsyncSession,
    attempt: Attempt,
    call: Call,
    *,
    at: datetime,
    outcome: Outcome | None,
    sip_status_code: int | None,
    retry: RetryPolicy,
    detail: str | None = None,
) -> bool:
    """Close the attempt and move the call on: completed, retry scheduled, or failed. False if already ended.

    `outcome` None means "the call ended after being answered": the agent may already have set voicemail.
    """
    if attempt.ended_at is not None:
        return False
    attempt.ended_at = at
    if outcome is None:
        outcome = Outcome(attempt.outcome) if attempt.outcome else (Outcome.ANSWERED if attempt.answered_at else Outcome.NO_ANSWER)
    attempt.outcome = outcome.value
    if sip_status_code is not None:
        attempt.sip_status_code = sip_status_code
    if detail:
        attempt.error = detail[:500]
    if attempt.answered_at is not None:
        attempt.duration_s = max(0.0, (at - attempt.answered_at).total_seconds())
    call.last_outcome = outcome.value
    session.info.setdefault("attempts_ended", []).append(outcome.value)  # counted once committed (metrics)
    call.lease_owner = None
    call.lease_expires_at = None
    call.updated_at = at
    if call.current_attempt_id == attempt.id and call.state in ("dialing", "in_call"):
        _next_state(session, call, attempt, outcome, at, retry)
    events.attempt_ended(session, call, attempt)
    return True


def _next_state(
    session: AsyncSession, call: Call, attempt: Attempt, outcome: Outcome, at: datetime, retry: RetryPolicy
) -> None:
    if call.callback_at is not None and outcome is Outcome.ANSWERED:
        call.state = "scheduled"
        call.next_attempt_at = call.callback_at
        call.callback_at = None
        add_decision(session, call.id, at, "callback", "the candidate asked to be called back at this time")
        return
    if outcome in CANDIDATE_CLOSED:
        call.state = "completed"
        call.next_attempt_at = None
        add_decision(session, call.id, at, outcome.value, f"the candidate said: {outcome.value.replace('_', ' ')}")
        return
    if outcome is Outcome.WRONG_PERSON:
        call.state = "failed"
        call.next_attempt_at = None
        add_decision(session, call.id, at, outcome.value,
                     "someone else answered: the number is flagged and not called again until it changes")
        return
    if outcome is Outcome.ANSWERED:
        call.state = "completed"
        call.next_attempt_at = None
        add_decision(session, call.id, at, "completed", "the call was answered and has ended")
        return
    delay = retry.delay(outcome, attempt.number)
    if delay is None:
        call.state = "failed"
        call.next_attempt_at = None
        add_decision(session, call.id, at, outcome.value, f"{outcome.value.replace('_', ' ')}: not retried")
        return
    if call.attempts_made >= call.max_attempts:
        call.state = "failed"
        call.next_attempt_at = None
        add_decision(
            session, call.id, at, "max_attempts", f"{outcome.value.replace('_', ' ')} on attempt {attempt.number} of {call.max_attempts}: no attempts left"
        )
        return
    call.state = "scheduled"
    call.next_attempt_at = at + delay
    minutes = int(delay.total_seconds() // 60)
    add_decision(
        session, call.id, at, "retry", f"{outcome.value.replace('_', ' ')} on attempt {attempt.number}; retry in {minutes} min (calling rules checked again then)"
    )
