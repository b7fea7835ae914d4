"""What the agent reports during a call: an opt-out, a callback, a transfer to a person, how the conversation ended.

Each write is kept for when the attempt ends (`calls.end_attempt` reads `attempt.outcome`), since LiveKit's webhook
that the callee left may come before or after the agent's own report.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dialer.lifecycle.trail import decide
from dialer.policy import DecisionCode, Outcome
from dialer.store.models import Attempt, Call


def forbid_retries(session: AsyncSession, call: Call, now: datetime) -> None:
    """The candidate asked never to be called again: this call has no attempt left and no callback."""
    call.max_attempts = call.attempts_made
    call.callback_at = None
    reason = "the candidate asked not to be called again; consent withdrawn"
    decide(session, call.id, now, DecisionCode.DO_NOT_CALL, reason)


def request_callback(session: AsyncSession, call: Call, *, when: datetime, zone_key: str, now: datetime) -> None:
    """Call back at `when` once this attempt ends (with one more attempt allowed for it)."""
    call.callback_at = when
    call.max_attempts = max(call.max_attempts, call.attempts_made + 1)
    decide(session, call.id, now, DecisionCode.CALLBACK_REQUESTED, f"call back at {when.isoformat()} ({zone_key})")


def agent_ended(
    session: AsyncSession, call: Call, attempt: Attempt, *, outcome: Outcome, reason: str, now: datetime
) -> None:
    """How the conversation ended, kept for when the attempt ends. Any outcome but answered or voicemail is the
    candidate's own answer, someone else's phone, or a person taking over: no attempt left and no callback."""
    if outcome not in (Outcome.ANSWERED, Outcome.VOICEMAIL):
        call.max_attempts = call.attempts_made
        call.callback_at = None
    if attempt.ended_at is None:
        attempt.outcome = outcome.value
    code = DecisionCode(f"agent_{outcome.value}")
    decide(session, call.id, now, code, reason[:300] or f"the agent ended the call ({outcome.value})")


def transfer_started(session: AsyncSession, call: Call, attempt: Attempt, *, now: datetime) -> None:
    """The agent is about to send the REFER. Once it goes through the phone leg leaves, and LiveKit's webhook for that
    can beat the agent's report of the success: so until the agent says the transfer failed, an attempt that ends is
    `transferred` (never retried, whatever it collected)."""
    if attempt.ended_at is None and attempt.outcome is None:
        attempt.outcome = Outcome.TRANSFERRED.value
    decide(session, call.id, now, DecisionCode.TRANSFER_STARTED, "the agent is transferring the candidate to a person")


def transfer_failed(
    session: AsyncSession, call: Call, attempt: Attempt | None, *, sip_status: int | None, now: datetime
) -> None:
    """The transfer was refused or failed: the call goes on as if it had not been tried, and the trail says so."""
    if attempt is not None and attempt.ended_at is None and attempt.outcome == Outcome.TRANSFERRED.value:
        attempt.outcome = None
    answer = f" (SIP {sip_status})" if sip_status else ""
    decide(session, call.id, now, DecisionCode.TRANSFER_FAILED,
           f"the transfer to a person did not go through{answer}; the candidate stayed on the line")
