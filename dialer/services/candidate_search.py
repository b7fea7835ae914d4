"""Listing and searching candidates: keyset pages by id, narrowed by batch, by a missing field, by name or number.

A missing field is "required and absent, null or empty" (dialer.fields.missing_fields), which is a rule about JSON
values that SQLite and PostgreSQL spell differently; it is checked here in Python over a bounded scan instead, and the
page's `next_after` says where the scan stopped, so a caller pages on through any table in bounded steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.errors import ProblemList
from dialer.fields import missing_fields
from dialer.store.db import Database
from dialer.store.models import Call, Candidate

MAX_PAGE = 500
SCAN_LIMIT = 5_000  # rows read per request at most, whatever the filters
_CHUNK = 500
_DIGITS = re.compile(r"\d")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class CandidateQuery:
    batch_id: str | None = None
    missing_field: str | None = None
    search: str | None = None  # part of the name (any case), or at least three digits of the number
    after: str | None = None
    limit: int = 100


@dataclass(frozen=True)
class CandidatePage:
    items: list[Candidate]
    next_after: str | None  # None: nothing further


def _check(query: CandidateQuery) -> None:
    problems = ProblemList()
    if not 1 <= query.limit <= MAX_PAGE:
        problems.add(("query", "limit"), f"limit must be between 1 and {MAX_PAGE}")
    if query.missing_field is not None and not _FIELD_NAME.match(query.missing_field):
        problems.add(("query", "missing_field"), "a field name is letters, digits and _ (starting with a letter), at most 64")
    if query.search is not None and not query.search.strip():
        problems.add(("query", "q"), "q is empty; give part of a name or at least three digits of a number, or omit it")
    problems.raise_if_any()


def _filtered(query: CandidateQuery) -> Select[Candidate]:
    statement = select(Candidate).order_by(Candidate.id)
    if query.batch_id:
        statement = statement.where(Candidate.id.in_(select(Call.candidate_id).where(Call.batch_id == query.batch_id)))
    if query.search:
        text = query.search.strip()
        conditions: list[ColumnElement[bool]] = [Candidate.name.ilike(f"%{_escape_like(text)}%", escape="\\")]
        digits = "".join(_DIGITS.findall(text))
        if len(digits) >= 3:
            conditions.append(Candidate.phone.contains(digits, autoescape=True))
        statement = statement.where(or_(*conditions))
    return statement


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_candidates(db: Database, query: CandidateQuery) -> CandidatePage:
    """One page in id order. With `missing_field`, at most SCAN_LIMIT rows are read: a short page with a
    `next_after` means "keep going", not "that was all"."""
    _check(query)
    base = _filtered(query)
    if query.after is not None:
        base = base.where(Candidate.id > query.after)
    async with db.transaction() as session:
        if query.missing_field is None:
            rows = list(await session.scalars(base.limit(query.limit + 1)))
            items = rows[: query.limit]
            return CandidatePage(items=items, next_after=items[-1].id if len(rows) > query.limit else None)
        return await _scan_for_missing(session, base, query.missing_field, query.limit)


async def _scan_for_missing(session: AsyncSession, base: Select[Candidate], name: str, limit: int) -> CandidatePage:
    found: list[Candidate] = []
    cursor: str | None = None
    scanned = 0
    while scanned < SCAN_LIMIT:
        statement = base if cursor is None else base.where(Candidate.id > cursor)
        rows = list(await session.scalars(statement.limit(_CHUNK)))
        scanned += len(rows)
        for index, row in enumerate(rows):
            cursor = row.id
            if name in missing_fields(row.required_fields, row.fields):
                found.append(row)
                if len(found) == limit:
                    last_of_table = len(rows) < _CHUNK and index == len(rows) - 1
                    return CandidatePage(items=found, next_after=None if last_of_table else cursor)
        if len(rows) < _CHUNK:
            return CandidatePage(items=found, next_after=None)  # the end of the table
    return CandidatePage(items=found, next_after=cursor)
