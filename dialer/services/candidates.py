"""Candidates: create-or-update by external id, one at a time or in all-or-nothing bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from dialer.clock import Clock
from dialer.errors import NotFound, ProblemList
from dialer.phones import InvalidPhoneNumber, check_dialable, normalize_phone
from dialer.policy import NoTimeZoneError, zone_from_name
from dialer.policy.area_codes import state_code
from dialer.services.candidate_search import CandidatePage, CandidateQuery, search_candidates
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.models import Candidate

MAX_BULK = 10_000
_IN_CHUNK = 500


@dataclass(frozen=True)
class ConsentInput:
    source: str
    at: datetime
    channel: str


@dataclass(frozen=True)
class CandidateInput:
    external_id: str
    name: str
    phone: str
    timezone: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    required_fields: list[str] = field(default_factory=list)
    state: str | None = None
    consent: ConsentInput | None = None


@dataclass(frozen=True)
class BulkResult:
    created: int
    updated: int
    ids: dict[str, str]  # external_id -> id


def validate_timezone(name: str) -> str:
    try:
        zone_from_name(name)
    except NoTimeZoneError:
        raise ValueError(f"unknown time zone {name[:64]!r}; use an IANA name such as America/New_York") from None
    return name


def validated_row(
    item: CandidateInput, loc: tuple[str | int, ...], region: str, problems: ProblemList, *, call_regions: frozenset[str]
) -> dict[str, Any]:
    """One candidate checked and normalized into a row for the bulk INSERT; problems are collected, not raised."""
    row: dict[str, Any] = {
        "external_id": item.external_id.strip(),
        "name": item.name.strip(),
        "timezone": item.timezone,
        "fields": dict(item.fields),
        "required_fields": list(dict.fromkeys(item.required_fields)),
    }
    if not row["external_id"]:
        problems.add((*loc, "external_id"), "external_id is empty")
    if not row["name"]:
        problems.add((*loc, "name"), "name is empty")
    try:
        row["phone"] = normalize_phone(item.phone, default_region=region)
        check_dialable(row["phone"], regions=call_regions)
    except InvalidPhoneNumber as exc:
        problems.add((*loc, "phone"), str(exc))
    if item.timezone is not None:
        try:
            validate_timezone(item.timezone)
        except ValueError as exc:
            problems.add((*loc, "timezone"), str(exc))
    row["state"] = None
    if item.state is not None and item.state.strip():
        row["state"] = state_code(item.state)
        if row["state"] is None:
            problems.add((*loc, "state"), f"unknown US state {item.state.strip()[:40]!r}; use a code such as FL or a name")
    _consent_columns(item.consent, loc, problems, row)
    return row


def _consent_columns(consent: ConsentInput | None, loc: tuple[str | int, ...], problems: ProblemList,
                     row: dict[str, Any]) -> None:
    """The record as sent: absent consent clears it. A withdrawal on a call is never cleared by an upload."""
    row.update(consent_source=None, consent_at=None, consent_channel=None)
    if consent is None:
        return
    if consent.at.tzinfo is None or consent.at.utcoffset() is None:
        problems.add((*loc, "consent", "at"), "give the consent time with its offset, e.g. 2026-11-20T14:03:00Z")
        return
    if not consent.source.strip() or not consent.channel.strip():
        problems.add((*loc, "consent"), "consent needs a source and a channel")
        return
    row.update(consent_source=consent.source.strip(), consent_at=consent.at.astimezone(UTC),
               consent_channel=consent.channel.strip())


class CandidateService:
    def __init__(self, *, db: Database, clock: Clock, default_region: str, call_regions: frozenset[str] | None = None) -> None:
        self._db = db
        self._clock = clock
        self._region = default_region
        self._call_regions = call_regions or frozenset({default_region.upper()})

    async def get(self, candidate_id: str) -> Candidate:
        async with self._db.transaction() as session:
            candidate = await session.get(Candidate, candidate_id)
        if candidate is None:
            raise NotFound(f"candidate {candidate_id} not found")
        return candidate

    async def search(self, query: CandidateQuery) -> CandidatePage:
        return await search_candidates(self._db, query)

    async def upsert(self, item: CandidateInput) -> tuple[Candidate, bool]:
        """Returns (candidate, created). A concurrent create of the same external id becomes an update."""
        problems = ProblemList()
        row = validated_row(item, (), self._region, problems, call_regions=self._call_regions)
        problems.raise_if_any()
        for _ in range(2):
            try:
                return await self._upsert_row(row)
            except IntegrityError:
                continue  # lost a race with another insert of this external id: now it exists, update it
        return await self._upsert_row(row)

    async def _upsert_row(self, row: dict[str, Any]) -> tuple[Candidate, bool]:
        now = self._clock.now()
        async with self._db.transaction() as session:
            existing = await session.scalar(select(Candidate).where(Candidate.external_id == row["external_id"]))
            if existing is None:
                candidate = Candidate(id=new_id("cand"), created_at=now, updated_at=now, **row)
                session.add(candidate)
                return candidate, True
            for key, value in row.items():
                setattr(existing, key, value)
            existing.updated_at = now
            return existing, False

    async def bulk_upsert(self, items: Sequence[CandidateInput]) -> BulkResult:
        """All or nothing: every record is validated before one transaction writes them all."""
        problems = ProblemList()
        if len(items) > MAX_BULK:
            problems.add(("candidates",), f"at most {MAX_BULK} candidates per request (got {len(items)}); split the upload")
            problems.raise_if_any()
        rows: list[dict[str, Any]] = []
        first_seen: dict[str, int] = {}
        for index, item in enumerate(items):
            row = validated_row(item, ("candidates", index), self._region, problems, call_regions=self._call_regions)
            key = row["external_id"]
            if key in first_seen:
                problems.add(
                    ("candidates", index, "external_id"),
                    f"duplicate external_id {key!r} (also at candidates[{first_seen[key]}]); send each candidate once",
                )
            first_seen.setdefault(key, index)
            rows.append(row)
        problems.raise_if_any()
        try:
            return await self._write_bulk(rows)
        except IntegrityError:
            # Another request created some of these external ids meanwhile; the retry sees them as updates.
            return await self._write_bulk(rows)

    async def _write_bulk(self, rows: list[dict[str, Any]]) -> BulkResult:
        now = self._clock.now()
        async with self._db.transaction() as session:
            existing: dict[str, str] = {}
            keys = [row["external_id"] for row in rows]
            for start in range(0, len(keys), _IN_CHUNK):
                chunk = keys[start : start + _IN_CHUNK]
                result = await session.execute(
                    select(Candidate.external_id, Candidate.id).where(Candidate.external_id.in_(chunk))
                )
                existing.update({external_id: cid for external_id, cid in result.all()})
            inserts = []
            updates = []
            ids: dict[str, str] = {}
            for row in rows:
                cid = existing.get(row["external_id"])
                if cid is None:
                    cid = new_id("cand")
                    inserts.append({**row, "id": cid, "created_at": now, "updated_at": now})
                else:
                    updates.append({**row, "id": cid, "updated_at": now})
                ids[row["external_id"]] = cid
            if inserts:
                # render_nulls: rows with and without a time zone stay one executemany (not a statement per switch).
                await session.execute(insert(Candidate).execution_options(render_nulls=True), inserts)
            if updates:
                await session.execute(update(Candidate), updates)
        return BulkResult(created=len(inserts), updated=len(updates), ids=ids)
