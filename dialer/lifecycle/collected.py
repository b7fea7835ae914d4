"""What a call has collected, read by the lifecycle (how an answered attempt ended) and by the agent's context (what
is still to ask): one reading, so an answer that settles a field for the outcome also stops it being asked again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.fields import missing_fields
from dialer.policy import Outcome
from dialer.store.models import Attempt, Call, Candidate, CollectedField


async def _said(session: AsyncSession, call: Call) -> list[tuple[str, str | None]]:
    """(field, attempt id) for every answer said on this call to a field it asks: answered, unknown or declined."""
    wanted = list(call.fields_to_ask or ())
    if not wanted:
        return []
    rows = await session.execute(
        select(CollectedField.name, CollectedField.attempt_id).where(
            CollectedField.call_id == call.id, CollectedField.name.in_(wanted)
        )
    )
    return [(name, attempt_id) for name, attempt_id in rows.all()]


async def still_to_ask(session: AsyncSession, call: Call, record: dict[str, object]) -> list[str]:
    """The call's fields, in order, that neither the candidate's record holds nor any attempt of this call settled:
    an "I don't know" or "I'd rather not say" is this call's answer, so a retry for other fields does not ask again."""
    settled = {name for name, _ in await _said(session, call)}
    return [name for name in missing_fields(call.fields_to_ask, record) if name not in settled]


async def answered_outcome(session: AsyncSession, call: Call, attempt: Attempt) -> Outcome:
    """`answered` once every field the call asks has an answer (on the candidate's record, or said on this call as
    unknown or declined); otherwise `partially_collected` when this attempt saved some, else `nothing_collected`."""
    wanted = list(call.fields_to_ask or ())
    if not wanted:
        return Outcome.ANSWERED
    said = await _said(session, call)
    record = await session.scalar(select(Candidate.fields).where(Candidate.id == call.candidate_id))
    still_missing = set(missing_fields(wanted, record or {})) - {name for name, _ in said}
    if not still_missing:
        return Outcome.ANSWERED
    if any(attempt_id == attempt.id for _, attempt_id in said):
        return Outcome.PARTIALLY_COLLECTED
    return Outcome.NOTHING_COLLECTED
