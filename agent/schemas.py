"""The dialer API's responses (/api/agent/..., api/routers/agent.py) as the agent reads them.

Parsed with pydantic so a malformed response fails loudly at the edge, not deep inside a tool.
Unknown keys are ignored, so the dialer can add fields without breaking deployed agents.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldStatus = Literal["answered", "unknown", "declined"]
# How a conversation ended, as the agent reports it. wrong_person: someone else answered (the number is flagged and
# not retried); no_longer_looking / accepted_other_job: the candidate's own answer, not retried either; transferred:
# the REFER to a person went through, so the call is done.
Outcome = Literal["answered", "voicemail", "wrong_person", "no_longer_looking", "accepted_other_job", "transferred"]
Speaker = Literal["agent", "callee"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CandidateRef(_Model):
    id: str
    name: str
    timezone: str = "UTC"


class CallField(_Model):
    """One profile field this call asks for."""

    name: str
    label: str
    type: str
    choices: list[str] = Field(default_factory=list)
    question: str | None = None


class CallerInfo(_Model):
    """Whom the agent calls for: said before anything is asked, and the answer to "who is this?"."""

    company: str
    role: str | None = None
    recruiter_name: str | None = None
    callback_number: str | None = None  # E.164


class ConsentInfo(_Model):
    """Where the candidate gave their number and consent: the answer to "how did you get my number?"."""

    source: str | None = None
    channel: str | None = None
    at: str | None = None


class CallContext(_Model):
    call_id: str
    candidate: CandidateRef
    fields: list[CallField]
    voicemail_message: str | None = None
    transfer_to: str | None = None
    caller: CallerInfo | None = None
    consent: ConsentInfo | None = None
    transcribed: bool = True  # the dialer keeps every transcript turn: the callee is told so
    currency: str | None = None  # the candidate's local currency (ISO 4217), for amounts said without one

    def field(self, name: str) -> CallField | None:
        return next((f for f in self.fields if f.name == name), None)


class FieldSaved(_Model):
    name: str
    value: str | None = None
    status: FieldStatus
    missing_fields: list[str] = Field(default_factory=list)


class CallbackScheduled(_Model):
    scheduled_at: str
    local: str


class TranscriptTurn(_Model):
    role: Speaker
    text: str
    at: str  # ISO-8601


class InterviewInfo(_Model):
    id: str
    role: str | None = None
    scheduled_at: str | None = None
    resume_summary: str | None = None
    notes: str | None = None


class BriefingCandidate(_Model):
    id: str
    name: str
    fields: dict[str, object] = Field(default_factory=dict)


class Person(_Model):
    id: str
    name: str


class Briefing(_Model):
    interview: InterviewInfo
    candidate: BriefingCandidate
    interviewer: Person | None = None


class InterviewChoice(_Model):
    id: str
    candidate_name: str
    role: str | None = None
    scheduled_at: str | None = None


class Identification(_Model):
    interviewer: Person | None = None
    interviews: list[InterviewChoice] = Field(default_factory=list)
