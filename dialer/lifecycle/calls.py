"""The only code that writes a call's or an attempt's state, lease and decision trail (with its siblings here:
`agent_reports` for what the agent reports during a call, `web_calls` for a browser call's first row).

Every writer (the dispatcher, the SIP result, LiveKit's webhooks, the reconciler, the batch and agent services)
goes through these functions, each inside the caller's transaction. They are idempotent and safe out of order: an
attempt that has ended is never reopened, an answer reported after the hang-up changes nothing, and every state
change is checked against `states.TRANSITIONS`. tests/unit/dialer/test_lifecycle_owner.py checks that no other
module writes these columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.caller_identity import CallerIdentity
from dialer.fields import missing_fields
from dialer.lifecycle import counts, events
from dialer.lifecycle.collected import answered_outcome
from dialer.lifecycle.lease import LeaseRules
from dialer.lifecycle.states import ACTIVE, CallState, check
from dialer.lifecycle.trail import decide as _decide
from dialer.policy import DecisionCode, Outcome, RetryPolicy
from dialer.policy.outcome import CANDIDATE_CLOSED, GIVEN_BACK, INCOMPLETE
from dialer.store.ids import new_id
from dialer.store.models import Attempt, Batch, Call, Candidate, Decision


def _move(call: Call, to: CallState, at: datetime) -> None:
    source = call.state
    call.state = check(source, to).value
    call.updated_at = at
    counts.moved(call, source, call.state)


# -- new calls ------------------------------------------------------------------------------------------------------


def new_call_row(
    *,
    candidate: Candidate,
    trunk_id: str,
    now: datetime,
    first_at: datetime,
    max_attempts: int,
    fields: list[str] | None,
    batch_id: str | None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    source: str = "batch",
    caller: CallerIdentity | None = None,
) -> dict[str, Any]:
    """A new scheduled call, as a row for one bulk INSERT (a batch of 10,000 is one statement). The fields to ask
    are fixed now: the batch's list, else what the candidate is missing."""
    return {
        "id": new_id("call"),
        "batch_id": batch_id,
        "candidate_id": candidate.id,
        "trunk_id": trunk_id,
        "state": CallState.SCHEDULED.value,
        "fields_to_ask": list(fields) if fields else missing_fields(candidate.required_fields, candidate.fields),
        "max_attempts": max_attempts,
        "attempts_made": 0,
        "next_attempt_at": first_at,
        "not_before": not_before,
        "not_after": not_after,
        "source": source,
        "caller": caller.as_json() if caller is not None else None,
        "created_at": now,
        "updated_at": now,
    }


async def insert_calls(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await session.execute(insert(Call), list(rows))
    for state, n in Counter(row["state"] for row in rows).items():
        counts.added(session, state, n)


# -- the dispatcher's decisions -------------------------------------------------------------------------------------


def start_attempt(
    session: AsyncSession,
    call: Call,
    *,
    attempt_id: str,
    room_name: str,
    slot: datetime,
    now: datetime,
    owner: str,
    lease: LeaseRules,
    reason: str,
    simulated: bool = False,
) -> int:
    """The at-most-once record: the attempt row and the `dialing` state, committed before the SIP request leaves.
    Returns the attempt's number."""
    number = call.attempts_made + 1
    _move(call, CallState.DIALING, now)
    call.attempts_made = number
    call.current_attempt_id = attempt_id
    call.room_name = room_name
    call.next_attempt_at = None
    call.lease_owner = owner
    call.lease_expires_at = lease.dialing_until(slot)
    session.add(Attempt(id=attempt_id, call_id=call.id, number=number, started_at=slot, report_sent=False,
                        simulated=simulated))
    _decide(session, call.id, now, DecisionCode.DIAL, f"attempt {number}: {reason}")
    return number


def reschedule(
    session: AsyncSession, call: Call, *, at: datetime | None, now: datetime, code: DecisionCode, reason: str
) -> None:
    """Not now: due again at `at` (None parks it, for a paused batch, until resumed)."""
    call.next_attempt_at = at
    call.updated_at = now
    _decide(session, call.id, now, code, reason)


def close_unstarted(
    session: AsyncSession, call: Call, *, cancelled: bool, now: datetime, code: DecisionCode, reason: str
) -> None:
    """Never dialled again: cancelled (its batch was) or failed (the calling rules gave up)."""
    _move(call, CallState.CANCELLED if cancelled else CallState.FAILED, now)
    call.next_attempt_at = None
    _decide(session, call.id, now, code, reason)


async def cancel_batch_calls(session: AsyncSession, batch_id: str, now: datetime) -> None:
    """Every scheduled call of a cancelled batch, in two statements whatever the batch's size."""
    scheduled = (Call.batch_id == batch_id, Call.state == CallState.SCHEDULED.value)
    check(CallState.SCHEDULED, CallState.CANCELLED)
    # RETURNING: the calls this statement moved (one another transaction dialled meanwhile is not among them).
    ids = list(
        await session.scalars(
            update(Call)
            .where(*scheduled)
            .values(state=CallState.CANCELLED.value, next_attempt_at=None, updated_at=now)
            .returning(Call.id)
        )
    )
    counts.moved_many(session, CallState.SCHEDULED.value, CallState.CANCELLED.value, len(ids))
    if ids:
        code, reason = DecisionCode.BATCH_CANCELLED.value, "the batch was cancelled"
        await session.execute(insert(Decision), [{"call_id": i, "at": now, "code": code, "reason": reason} for i in ids])


async def release_parked(session: AsyncSession, batch_id: str, now: datetime) -> None:
    """A resumed batch: the calls parked while it was paused are due now (the calling rules apply when dialled)."""
    await session.execute(
        update(Call)
        .where(Call.batch_id == batch_id, Call.state == CallState.SCHEDULED.value, Call.next_attempt_at.is_(None))
        .values(next_attempt_at=now, updated_at=now)
    )


async def move_lease_to_slot(
    session: AsyncSession, *, call_id: str, attempt_id: str, slot: datetime, lease: LeaseRules
) -> None:
    """A dial that missed its CPS slot and took a new one: its lease moves with it."""
    await session.execute(
        update(Call)
        .where(Call.id == call_id, Call.current_attempt_id == attempt_id, Call.state == CallState.DIALING.value)
        .values(lease_expires_at=lease.dialing_until(slot))
    )


# -- what happened to an attempt, whoever reports it first ----------------------------------------------------------


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


def mark_answered(attempt: Attempt, call: Call, at: datetime, lease: LeaseRules) -> None:
    """The callee answered: `in_call`, held for the longest a call may last. Nothing once the attempt has ended."""
    if attempt.ended_at is not None:
        return
    if attempt.answered_at is None:
        attempt.answered_at = at
    if call.current_attempt_id == attempt.id and call.state in ACTIVE:
        if call.state == CallState.DIALING:
            _move(call, CallState.IN_CALL, at)
        call.lease_expires_at = lease.answered_until(at)


async def claim_expired(
    session: AsyncSession, *, now: datetime, owner: str, lease: LeaseRules, limit: int
) -> list[Call]:
    """Active calls whose lease ran out, held by `owner` while it asks LiveKit about them."""
    calls = list(
        await session.scalars(
            select(Call)
            .where(Call.state.in_(ACTIVE), Call.lease_expires_at < now)
            .order_by(Call.lease_expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for call in calls:
        call.lease_owner = owner
        call.lease_expires_at = lease.held_until(now)
    return calls


async def note_duration_cap(session: AsyncSession, call: Call, attempt: Attempt, *, at: datetime, max_s: int) -> None:
    """The dialer is ending an answered call at its maximum duration: said once per attempt in the decision trail."""
    said = await session.scalar(
        select(Decision.id).where(
            Decision.call_id == call.id, Decision.code == DecisionCode.MAX_DURATION.value, Decision.at >= attempt.answered_at
        )
    )
    if said is None:
        reason = f"attempt {attempt.number} reached the maximum call duration of {max_s} s: the dialer ends the room"
        _decide(session, call.id, at, DecisionCode.MAX_DURATION, reason)


def keep_ringing(call: Call, now: datetime, lease: LeaseRules) -> None:
    """LiveKit shows the callee still ringing: wait another ringing timeout."""
    call.lease_expires_at = lease.ringing_until(now)


async def end_attempt(
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

    `outcome` None means "the call ended after being answered": the agent may already have set voicemail. An
    answered attempt that did not collect every field of the call is `partially_collected` or `nothing_collected`.
    """
    if attempt.ended_at is not None:
        return False
    attempt.ended_at = at
    if outcome is None:
        outcome = Outcome(attempt.outcome) if attempt.outcome else (Outcome.ANSWERED if attempt.answered_at else Outcome.NO_ANSWER)
    if outcome is Outcome.ANSWERED:
        outcome = await answered_outcome(session, call, attempt)
    attempt.outcome = outcome.value
    if sip_status_code is not None:
        attempt.sip_status_code = sip_status_code
    if detail:
        attempt.error = detail[:500]
    if attempt.answered_at is not None:
        attempt.duration_s = max(0.0, (at - attempt.answered_at).total_seconds())
    call.last_outcome = outcome.value
    session.info.setdefault("attempts_ended", []).append(outcome.value)  # counted once committed (metrics)
    _line_freed(session, call)
    call.lease_owner = None
    call.lease_expires_at = None
    call.updated_at = at
    if call.current_attempt_id == attempt.id and call.state in ACTIVE:
        if outcome in INCOMPLETE and await _opted_out(session, call):
            _move(call, CallState.COMPLETED, at)  # the candidate's own answer ends it, not a failure to reach them
            call.next_attempt_at = None
            _decide(session, call.id, at, DecisionCode.DO_NOT_CALL, f"{outcome.value.replace('_', ' ')}: the candidate asked not to be called again")
        else:
            _next_state(session, call, attempt, outcome, at, retry, batch_cancelled=await _batch_cancelled(session, call))
    events.attempt_ended(session, call, attempt)
    return True


def _line_freed(session: AsyncSession, call: Call) -> None:
    """Noted for once the transaction commits: a dispatcher that found every line of the trunk taken wakes."""
    session.info.setdefault("lines_freed", set()).add(call.trunk_id)


async def _batch_cancelled(session: AsyncSession, call: Call) -> bool:
    if call.batch_id is None:
        return False
    return await session.scalar(select(Batch.status).where(Batch.id == call.batch_id)) == "cancelled"


def _cancel_instead_of_retrying(session: AsyncSession, call: Call, at: datetime, said: str) -> None:
    _move(call, CallState.CANCELLED, at)
    call.next_attempt_at = None
    call.callback_at = None
    _decide(session, call.id, at, DecisionCode.BATCH_CANCELLED, f"{said}; the batch was cancelled: not retried")


async def give_back_attempt(
    session: AsyncSession, attempt: Attempt, call: Call, *, at: datetime, retry: RetryPolicy, detail: str,
    outcome: Outcome = Outcome.NO_AGENT,
) -> bool:
    """The phone never rang (no agent took the job, or the dial was held back as the circuit opened): the attempt is
    closed as `outcome` (one of GIVEN_BACK) and given back (one more allowed), and the call is queued again after a
    short back-off. `call.not_placed` goes out, not `call.ended`: nobody was called. False if the attempt had already
    ended."""
    if outcome not in GIVEN_BACK:
        raise ValueError(f"{outcome} rang someone: it is not given back")
    if attempt.ended_at is not None:
        return False
    attempt.ended_at = at
    attempt.outcome = outcome.value
    _line_freed(session, call)
    attempt.error = detail[:500]
    call.lease_owner = None
    call.lease_expires_at = None
    call.updated_at = at
    if call.current_attempt_id == attempt.id and call.state == CallState.DIALING:
        await _queue_again(session, call, attempt, outcome, at=at, retry=retry, detail=detail)
    events.call_not_placed(session, call, attempt, detail=detail)
    return True


async def _queue_again(
    session: AsyncSession, call: Call, attempt: Attempt, outcome: Outcome, *, at: datetime, retry: RetryPolicy,
    detail: str,
) -> None:
    call.max_attempts += 1  # not spent: the candidate was never rung
    if await _batch_cancelled(session, call):
        _cancel_instead_of_retrying(session, call, at, detail)
        return
    delay = retry.delay(outcome, attempt.number) or timedelta(minutes=1)
    _move(call, CallState.SCHEDULED, at)
    call.next_attempt_at = at + delay
    reason = f"{detail}; the phone was not rung and the attempt is not counted; queued again in {int(delay.total_seconds())} s"
    _decide(session, call.id, at, DecisionCode(outcome.value), reason)  # no_agent or not_placed


async def _opted_out(session: AsyncSession, call: Call) -> bool:
    withdrawn = await session.scalar(select(Candidate.consent_withdrawn_at).where(Candidate.id == call.candidate_id))
    return withdrawn is not None and call.attempts_made >= call.max_attempts


def _next_state(
    session: AsyncSession,
    call: Call,
    attempt: Attempt,
    outcome: Outcome,
    at: datetime,
    retry: RetryPolicy,
    *,
    batch_cancelled: bool = False,
) -> None:
    said = outcome.value.replace("_", " ")
    if call.callback_at is not None and (outcome is Outcome.ANSWERED or outcome in INCOMPLETE):
        if batch_cancelled:
            _cancel_instead_of_retrying(session, call, at, said)
            return
        _move(call, CallState.SCHEDULED, at)
        call.next_attempt_at = call.callback_at
        call.callback_at = None
        _decide(session, call.id, at, DecisionCode.CALLBACK, "the candidate asked to be called back at this time")
        return
    if outcome in CANDIDATE_CLOSED:
        _move(call, CallState.COMPLETED, at)
        call.next_attempt_at = None
        _decide(session, call.id, at, DecisionCode(outcome.value), f"the candidate said: {said}")
        return
    if outcome is Outcome.TRANSFERRED:
        _move(call, CallState.COMPLETED, at)
        call.next_attempt_at = None
        _decide(session, call.id, at, DecisionCode.TRANSFERRED, "the candidate was transferred to a person: not called again")
        return
    if outcome is Outcome.WRONG_PERSON:
        _move(call, CallState.FAILED, at)
        call.next_attempt_at = None
        reason = "someone else answered: the number is flagged and not called again until it changes"
        _decide(session, call.id, at, DecisionCode.WRONG_PERSON, reason)
        return
    if outcome is Outcome.ANSWERED:
        _move(call, CallState.COMPLETED, at)
        call.next_attempt_at = None
        _decide(session, call.id, at, DecisionCode.COMPLETED, "the call was answered and has ended")
        return
    delay = retry.delay(outcome, attempt.number)
    if delay is None:
        _move(call, CallState.FAILED, at)
        call.next_attempt_at = None
        _decide(session, call.id, at, DecisionCode(outcome.value), f"{said}: not retried")
        return
    if batch_cancelled:
        _cancel_instead_of_retrying(session, call, at, said)
        return
    if call.attempts_made >= call.max_attempts:
        _move(call, CallState.FAILED, at)
        call.next_attempt_at = None
        reason = f"{said} on attempt {attempt.number} of {call.max_attempts}: no attempts left"
        _decide(session, call.id, at, DecisionCode.MAX_ATTEMPTS, reason)
        return
    _move(call, CallState.SCHEDULED, at)
    call.next_attempt_at = at + delay
    seconds = int(delay.total_seconds())
    after = f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"  # seconds: the sandbox's scaled delays
    reason = f"{said} on attempt {attempt.number}; retry in {after} (calling rules checked again then)"
    _decide(session, call.id, at, DecisionCode.RETRY, reason)


# -- the dialer stops a live call (what the agent reports is in agent_reports.py) ----------------------------------


def stop_live_call(session: AsyncSession, call: Call, *, now: datetime, code: DecisionCode, reason: str) -> None:
    """A live call is being hung up by the dialer (its number went on do-not-call, or its batch was cancelled with
    hang-up): no attempt after this one and no callback; the trail says why."""
    call.max_attempts = call.attempts_made
    call.callback_at = None
    _decide(session, call.id, now, code, reason)
