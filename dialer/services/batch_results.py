"""A batch's results for the recruiter: outcomes broken down, the connect rate by the callee's local hour, and the
CSV export (one row per call, one column per field asked or collected).

Read-only; one query per view. A batch holds at most 10,000 calls (BatchService.MAX_BATCH), so its attempts are read
whole and counted here, where the callee's zone is known (SQL cannot turn an instant into a local hour portably).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from dialer.csv_cells import to_csv
from dialer.errors import NotFound
from dialer.lifecycle import AttemptOutcome
from dialer.policy import NoTimeZoneError
from dialer.policy.zones import local_zone
from dialer.store.db import Database
from dialer.store.models import Attempt, Batch, Call, Candidate, CollectedField

UTC = ZoneInfo("UTC")


def is_connected(outcome: str | None, answered_at: datetime | None) -> bool:
    """A person came to the phone: answered, and not by a machine (whatever the conversation then came to; a call
    still going on counts as answered)."""
    return answered_at is not None and outcome != AttemptOutcome.VOICEMAIL.value


@dataclass(frozen=True)
class HourBucket:
    hour: int  # 0-23, the callee's local hour when the attempt started
    attempts: int
    connected: int


@dataclass(frozen=True)
class BatchStats:
    batch_id: str
    calls: int
    attempts: int
    outcomes: dict[str, int]  # ended attempts by outcome; every known outcome listed, zeros included
    by_hour: list[HourBucket]


def _zone(phone: str, timezone: str | None) -> ZoneInfo:
    try:
        return local_zone(phone, timezone)
    except NoTimeZoneError:
        return UTC


class BatchResultsService:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def _require(self, batch_id: str) -> None:
        async with self._db.transaction() as session:
            if await session.get(Batch, batch_id) is None:
                raise NotFound(f"batch {batch_id} not found")

    async def stats(self, batch_id: str) -> BatchStats:
        await self._require(batch_id)
        async with self._db.transaction() as session:
            calls = int(await session.scalar(select(func.count()).select_from(Call).where(Call.batch_id == batch_id)) or 0)
            rows = (
                await session.execute(
                    select(Attempt.outcome, Attempt.answered_at, Attempt.started_at, Candidate.phone, Candidate.timezone)
                    .join(Call, Call.id == Attempt.call_id)
                    .join(Candidate, Candidate.id == Call.candidate_id)
                    .where(Call.batch_id == batch_id)
                )
            ).all()
        outcomes: Counter[str] = Counter({outcome.value: 0 for outcome in AttemptOutcome})
        attempts = [0] * 24
        connected = [0] * 24
        zones: dict[tuple[str, str | None], ZoneInfo] = {}
        for outcome, answered_at, started_at, phone, timezone in rows:
            if outcome is not None:
                outcomes[outcome] += 1
            zone = zones.get((phone, timezone))
            if zone is None:
                zone = zones[(phone, timezone)] = _zone(phone, timezone)
            hour = started_at.astimezone(zone).hour
            attempts[hour] += 1
            connected[hour] += is_connected(outcome, answered_at)
        return BatchStats(
            batch_id=batch_id,
            calls=calls,
            attempts=len(rows),
            outcomes=dict(outcomes),
            by_hour=[HourBucket(hour=h, attempts=attempts[h], connected=connected[h]) for h in range(24)],
        )

    async def export_csv(self, batch_id: str) -> str:
        """One row per call: who, where the call stands, its last attempt, and each field's collected value."""
        await self._require(batch_id)
        async with self._db.transaction() as session:
            calls = (
                await session.execute(
                    select(Call, Candidate).join(Candidate, Candidate.id == Call.candidate_id)
                    .where(Call.batch_id == batch_id).order_by(Call.id)
                )
            ).all()
            last = {
                a.call_id: a
                for a in await session.scalars(
                    select(Attempt).join(Call, Call.id == Attempt.call_id)
                    .where(Call.batch_id == batch_id).order_by(Attempt.number)
                )
            }
            collected: dict[str, dict[str, CollectedField]] = {}
            for field in await session.scalars(
                select(CollectedField).join(Call, Call.id == CollectedField.call_id)
                .where(Call.batch_id == batch_id).order_by(CollectedField.id)
            ):
                collected.setdefault(field.call_id, {})[field.name] = field  # the latest answer wins
        names = sorted({n for call, _ in calls for n in call.fields_to_ask} | {n for f in collected.values() for n in f})
        header = [
            "call_id", "candidate_id", "external_id", "name", "phone", "state", "last_outcome", "attempts_made",
            "last_attempt_at", "last_duration_s", *names,
        ]
        rows = []
        for call, candidate in calls:
            attempt = last.get(call.id)
            fields = collected.get(call.id, {})
            rows.append([
                call.id, candidate.id, candidate.external_id, candidate.name, candidate.phone, call.state,
                call.last_outcome, call.attempts_made,
                attempt.started_at.isoformat() if attempt else None,
                round(attempt.duration_s, 1) if attempt and attempt.duration_s is not None else None,
                *[_field_text(fields.get(name)) for name in names],
            ])
        return to_csv(header, rows)


def _field_text(field: CollectedField | None) -> str:
    if field is None:
        return ""
    if field.status != "answered":
        return f"({field.status})"  # the candidate did not know, or would rather not say
    return field.value or ""
