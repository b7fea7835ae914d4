from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas.base import Request, Response
from api.schemas.rules import FieldNames, FieldValues
from dialer.fields import missing_fields
from dialer.policy import record_zone_conflict
from dialer.services.candidates import MAX_BULK, CandidateInput, ConsentInput
from dialer.store.models import Candidate


class ConsentIn(Request):
    """Prior express consent to be called: where it was given, when, and through what channel."""

    source: str = Field(min_length=1, max_length=200, examples=["careers-site application form"])
    at: datetime = Field(examples=["2026-11-20T14:03:00Z"])
    channel: str = Field(min_length=1, max_length=40, examples=["web_form"])


class ConsentOut(Response):
    source: str | None
    at: datetime | None
    channel: str | None
    withdrawn_at: datetime | None
    given: bool


class CandidateIn(Request):
    external_id: str = Field(min_length=1, max_length=200, examples=["ats-123"])
    name: str = Field(min_length=1, max_length=200, examples=["Ada Lovelace"])
    phone: str = Field(min_length=1, max_length=40, examples=["+14155552671"])
    timezone: str | None = Field(default=None, max_length=64, examples=[None])
    fields: FieldValues = Field(default_factory=dict, examples=[{"quota_attainment": "112%"}])
    required_fields: FieldNames = Field(default_factory=list, examples=[["quota_attainment", "start_date"]])
    state: str | None = Field(default=None, max_length=40, examples=["FL"], description="US state (code or name)")
    consent: ConsentIn | None = Field(default=None, description="consent to be called; absent clears it")

    def to_input(self) -> CandidateInput:
        return CandidateInput(
            external_id=self.external_id,
            name=self.name,
            phone=self.phone,
            timezone=self.timezone,
            fields=self.fields,
            required_fields=self.required_fields,
            state=self.state,
            consent=(
                ConsentInput(source=self.consent.source, at=self.consent.at, channel=self.consent.channel)
                if self.consent is not None
                else None
            ),
        )


class CandidateBulkIn(Request):
    candidates: list[CandidateIn] = Field(max_length=MAX_BULK)


class CandidateOut(Response):
    id: str
    external_id: str
    name: str
    phone: str
    timezone: str | None
    fields: dict[str, Any]
    required_fields: list[str]
    missing_fields: list[str]
    state: str | None
    consent: ConsentOut
    warnings: list[str] = Field(default_factory=list, description="accepted, but worth a look (e.g. a zone that contradicts the number)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateOut:
        return cls(
            id=candidate.id,
            external_id=candidate.external_id,
            name=candidate.name,
            phone=candidate.phone,
            timezone=candidate.timezone,
            fields=candidate.fields,
            required_fields=candidate.required_fields,
            missing_fields=missing_fields(candidate.required_fields, candidate.fields),
            warnings=[w for w in (record_zone_conflict(candidate.phone, candidate.timezone),) if w],
            state=candidate.state,
            consent=ConsentOut(
                source=candidate.consent_source,
                at=candidate.consent_at,
                channel=candidate.consent_channel,
                withdrawn_at=candidate.consent_withdrawn_at,
                given=candidate.consent().given,
            ),
            created_at=candidate.created_at,
            updated_at=candidate.updated_at,
        )


class BulkItemOut(Response):
    external_id: str
    id: str


class CandidateBulkOut(Response):
    created: int
    updated: int
    items: list[BulkItemOut]


class CandidateList(Response):
    items: list[CandidateOut]
    next_after: str | None = Field(description="pass as ?after= for the next page; null when there is no more")
