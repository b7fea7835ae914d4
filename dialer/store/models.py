"""ORM models. The schema itself is created only by the Alembic migrations in dialer/migrations.

The database is the queue: a call is a row with a state and `next_attempt_at`; each dial is an attempt row
committed before the SIP request leaves, so a crash can be reconciled instead of re-dialled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dialer.policy.consent import Consent
from dialer.store.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Candidate(Base):
    __tablename__ = "candidates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    required_fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # USPS code of the state the record says the candidate lives in; the number's area code adds its own.
    state: Mapped[str | None] = mapped_column(String(2))
    # Prior express consent to be called (TCPA; an AI voice is an artificial voice, FCC 24-17): where, when, how.
    consent_source: Mapped[str | None] = mapped_column(String(200))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_channel: Mapped[str | None] = mapped_column(String(40))
    # Set when the candidate opts out on a call; a consent given after it counts again.
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The number someone else answered ("wrong person"): not dialled while it is still the candidate's number.
    wrong_number: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def consent(self) -> Consent:
        """The consent columns as the calling rules read them."""
        return Consent(
            source=self.consent_source,
            at=self.consent_at,
            channel=self.consent_channel,
            withdrawn_at=self.consent_withdrawn_at,
        )


class Interviewer(Base):
    __tablename__ = "interviewers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Not unique: a PIN proves one interviewer's identity and is checked against that interviewer only, so two may
    # share one, and creating an interviewer never reveals (by a conflict) that a PIN is in use.
    pin_hash: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Interview(Base):
    __tablename__ = "interviews"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    interviewer_id: Mapped[str] = mapped_column(ForeignKey("interviewers.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    resume_summary: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    room_name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    candidate: Mapped[Candidate] = relationship(lazy="raise")
    interviewer: Mapped[Interviewer] = relationship(lazy="raise")


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused | cancelled
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_attempts: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[str] | None] = mapped_column(JSONType)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    caller: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # dialer.caller_identity.CallerIdentity
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Call(Base):
    """One gap-filling call to one candidate, possibly over several attempts."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    trunk_id: Mapped[str] = mapped_column(String(64))
    # scheduled | dialing | in_call | completed | failed | cancelled
    state: Mapped[str] = mapped_column(String(20))
    fields_to_ask: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_attempts: Mapped[int] = mapped_column(Integer)
    attempts_made: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    current_attempt_id: Mapped[str | None] = mapped_column(String(40))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(20), default="batch")  # batch | api | web
    caller: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # whom the call is for, fixed at creation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallCount(Base):
    """Calls by state, kept by the lifecycle in the transaction of each change as rows that are only inserted (each a
    change to one state's count) and folded now and then (dialer/lifecycle/counts.py): what /metrics sums instead
    of counting the calls table."""

    __tablename__ = "call_counts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)


class Attempt(Base):
    """One dial. Written (with `started_at`) before the SIP request leaves: the at-most-once record."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("call_id", "number", name="uq_attempts_call_number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    sip_status_code: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    sip_participant_identity: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    report_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Placed on the built-in sandbox: no phone rang, and any conversation was a simulated callee's.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Decision(Base):
    """The decision trail: why a call was or was not dialled when."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)


class TranscriptTurn(Base):
    __tablename__ = "transcript_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CollectedField(Base):
    __tablename__ = "collected_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # answered | unknown | declined
    source_text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DoNotCall(Base):
    __tablename__ = "do_not_call"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReceivedWebhook(Base):
    """LiveKit webhook ids already applied: makes delivery idempotent."""

    __tablename__ = "received_webhooks"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxEvent(Base):
    """Webhooks out to the recruiter's system, written in the same transaction as the change they report."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class TrunkBudget(Base):
    """Per-trunk calls-per-second budget shared by every instance: the next free dial slot, and the CPS guards
    recent plans spaced their slots by (`dialer/engine/guard.py::TrunkGuards`)."""

    __tablename__ = "trunk_budgets"

    trunk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    guards: Mapped[list[list[float]] | None] = mapped_column(JSONType)


class VoiceSession(Base):
    """A browser (or inbound SIP) session with the agent: what room is for what, and when it ended."""

    __tablename__ = "voice_sessions"

    room_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20))  # gap_filling | briefing
    channel: Mapped[str] = mapped_column(String(10))  # web | sip
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    interview_id: Mapped[str | None] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    # A gap-filling session's call before anyone joined: its id (in the room name and the agent's credential) and
    # candidate. The call row is written on the first join (dialer/lifecycle/web_calls.py); an unused token none.
    pending_call_id: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)
    candidate_id: Mapped[str | None] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitCounter(Base):
    """One fixed-window counter (failed sign-ins of a client, requests of a credential, wrong PINs of an
    interviewer), in the database so that a limit holds across every instance."""

    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
