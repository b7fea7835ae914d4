from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.base import Request, Response
from api.schemas.rules import FieldNames, Identifier
from dialer.caller_identity import CallerIdentity
from dialer.services.batches import BatchInput, BatchView
from dialer.services.batch_results import BatchStats
from dialer.services.calls import CallDetail, CallRecord


class CallerIn(Request):
    """Whom the calls are for, said before anything is asked; each unset value comes from the configuration."""

    company: str | None = Field(default=None, max_length=200, examples=["Acme Corp"])
    role: str | None = Field(default=None, max_length=200, examples=["Account Executive"])
    recruiter_name: str | None = Field(default=None, max_length=200, examples=["Jordan Lee"])
    callback_number: str | None = Field(default=None, max_length=40, examples=["+14155550123"])

    def to_identity(self) -> CallerIdentity:
        return CallerIdentity(self.company, self.role, self.recruiter_name, self.callback_number)


class BatchIn(CallerIn):
    candidate_ids: list[Identifier] = Field(min_length=1, max_length=10_000, description="the dialer's candidate ids")
    name: str | None = Field(default=None, max_length=200)
    not_before: datetime | None = None
    not_after: datetime | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=10, strict=True)
    fields: FieldNames | None = Field(
        default=None, min_length=1, description="fields to ask; default: each candidate's missing fields"
    )

    def to_input(self) -> BatchInput:
        return BatchInput(
            candidate_ids=self.candidate_ids,
            name=self.name,
            not_before=self.not_before,
            not_after=self.not_after,
            max_attempts=self.max_attempts,
            fields=self.fields,
            caller=self.to_identity(),
        )


class BatchOut(Response):
    id: str
    name: str | None
    status: str
    counts: dict[str, int] = Field(description="calls per state")
    outcomes: dict[str, int] = Field(
        description="calls per outcome of their last attempt so far (answered, partially_collected, nothing_collected, "
        "transferred, no_answer, ...); calls not yet attempted are not counted"
    )
    not_before: datetime | None
    not_after: datetime | None
    max_attempts: int
    caller: dict[str, str | None] | None
    created_at: datetime

    @classmethod
    def of(cls, view: BatchView) -> BatchOut:
        b = view.batch
        return cls(
            id=b.id,
            name=b.name,
            status=view.status,
            counts=view.counts,
            outcomes=view.outcomes,
            not_before=b.not_before,
            not_after=b.not_after,
            max_attempts=b.max_attempts,
            caller=b.caller,
            created_at=b.created_at,
        )


class CallIn(CallerIn):
    candidate_id: Identifier
    again: bool = Field(
        default=False,
        strict=True,
        description="true to call a candidate whose call already completed (otherwise that is a 409)",
    )


class AttemptOut(Response):
    number: int
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    sip_status_code: int | None
    duration_s: float | None
    simulated: bool = Field(default=False, description="placed on the built-in sandbox: no phone rang")


class DecisionOut(Response):
    at: datetime
    code: str
    reason: str


class CollectedOut(Response):
    name: str
    value: str | None
    status: str
    at: datetime


class CallOut(Response):
    id: str
    batch_id: str | None
    candidate_id: str
    candidate_name: str
    state: str
    next_attempt_at: datetime | None
    room_name: str | None
    attempts_made: int
    max_attempts: int
    last_outcome: str | None
    fields_to_ask: list[str]
    attempts: list[AttemptOut]
    decisions: list[DecisionOut]
    collected_fields: list[CollectedOut]

    @classmethod
    def of(cls, detail: CallDetail) -> CallOut:
        c = detail.call
        return cls(
            id=c.id,
            batch_id=c.batch_id,
            candidate_id=c.candidate_id,
            candidate_name=detail.candidate_name,
            state=c.state,
            next_attempt_at=c.next_attempt_at,
            room_name=c.room_name,
            attempts_made=c.attempts_made,
            max_attempts=c.max_attempts,
            last_outcome=c.last_outcome,
            fields_to_ask=c.fields_to_ask,
            attempts=[AttemptOut.model_validate(a) for a in detail.attempts],
            decisions=[DecisionOut.model_validate(d) for d in detail.decisions],
            collected_fields=[CollectedOut.model_validate(f) for f in detail.collected],
        )


class CallList(Response):
    items: list[CallOut]
    next_after: str | None = Field(default=None, description="pass as ?after= for the next page")


class DoNotCallIn(Request):
    phone: str = Field(min_length=1, max_length=40)
    reason: str = Field(default="", max_length=200)


class DoNotCallAdded(Response):
    phone: str = Field(description="the number as stored (E.164)")
    ended_calls: list[str] = Field(description="ids of the live calls to this number that were hung up now")


class CancelIn(Request):
    hang_up: bool = Field(
        default=False, strict=True,
        description="also hang up the batch's live calls (dialling or in a call) now; otherwise they run to their end",
    )


class BatchCancelled(BatchOut):
    ended_calls: list[str] = Field(description="ids of the live calls hung up by this request (empty unless hang_up)")


class DoNotCallOut(Response):
    phone: str
    reason: str
    created_at: datetime


class DoNotCallList(Response):
    items: list[DoNotCallOut]
    next_after: str | None = Field(description="pass as ?after= for the next page; null when there is no more")


class TurnOut(Response):
    attempt: int | None = Field(description="the attempt's number (1, 2, ...); null for a browser session")
    role: str = Field(description="agent or callee")
    text: str
    at: datetime


class FieldRecordOut(Response):
    attempt: int | None
    name: str
    value: str | None
    status: str = Field(description="answered, unknown or declined")
    source_text: str = Field(description="the callee's words the value came from")
    at: datetime


class CallRecordOut(Response):
    call_id: str
    candidate_id: str
    candidate_name: str
    state: str
    last_outcome: str | None
    turns: list[TurnOut]
    collected_fields: list[FieldRecordOut]

    @classmethod
    def of(cls, record: CallRecord) -> CallRecordOut:
        number = record.attempt_numbers.get
        return cls(
            call_id=record.call.id,
            candidate_id=record.call.candidate_id,
            candidate_name=record.candidate_name,
            state=record.call.state,
            last_outcome=record.call.last_outcome,
            turns=[
                TurnOut(attempt=number(t.attempt_id or ""), role=t.role, text=t.text, at=t.at) for t in record.turns
            ],
            collected_fields=[
                FieldRecordOut(
                    attempt=number(f.attempt_id or ""), name=f.name, value=f.value, status=f.status,
                    source_text=f.source_text, at=f.at,
                )
                for f in record.collected
            ],
        )


class HourOut(Response):
    hour: int = Field(ge=0, le=23, description="the callee's local hour when the attempt started")
    attempts: int
    connected: int = Field(description="attempts a person answered (not a machine)")
    connect_rate: float | None = Field(description="connected / attempts; null for an hour with no attempt")


class BatchStatsOut(Response):
    batch_id: str
    calls: int
    attempts: int
    outcomes: dict[str, int] = Field(description="ended attempts by outcome, every known outcome listed")
    connect_rate: float | None
    by_hour: list[HourOut]

    @classmethod
    def of(cls, stats: BatchStats) -> BatchStatsOut:
        connected = sum(h.connected for h in stats.by_hour)
        return cls(
            batch_id=stats.batch_id,
            calls=stats.calls,
            attempts=stats.attempts,
            outcomes=stats.outcomes,
            connect_rate=round(connected / stats.attempts, 4) if stats.attempts else None,
            by_hour=[
                HourOut(
                    hour=h.hour, attempts=h.attempts, connected=h.connected,
                    connect_rate=round(h.connected / h.attempts, 4) if h.attempts else None,
                )
                for h in stats.by_hour
            ],
        )
