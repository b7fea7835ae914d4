from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Request, Response
from api.schemas.rules import PIN_PATTERN, FieldName
from dialer.fields import AnswerStatus


class FieldAnswerIn(Request):
    name: FieldName
    value: str | None = Field(default=None, max_length=2000)
    status: AnswerStatus = AnswerStatus.ANSWERED
    source_text: str = Field(default="", max_length=2000)


class TurnIn(Request):
    role: Literal["agent", "callee", "user", "assistant"]
    text: str = Field(max_length=5000)
    at: datetime


class TranscriptIn(Request):
    turns: list[TurnIn] = Field(max_length=200)


class DoNotCallRequestIn(Request):
    reason: str = Field(default="", max_length=200)


class TransferFailedIn(Request):
    sip_status: int | None = Field(default=None, ge=100, le=699, strict=True,
                                   description="the SIP status the far end answered the REFER with, if any")


class CallbackIn(Request):
    at_local: datetime = Field(description="wall-clock time in the candidate's zone, e.g. 2026-11-26T15:00")


class EndIn(Request):
    outcome: Literal["answered", "voicemail", "wrong_person", "no_longer_looking", "accepted_other_job", "transferred"] = Field(
        description="transferred: the REFER to a person went through (a refused one is reported to transfer-failed)"
    )
    reason: str = Field(default="", max_length=300)


class IdentifyIn(Request):
    phone: str = Field(min_length=1, max_length=40)


class PinIn(Request):
    pin: str = Field(pattern=PIN_PATTERN, description="4-8 digits 0-9")
    phone: str | None = Field(default=None, max_length=40)


# -- responses (what the agent parses with agent/schemas.py; tests/integration/api/test_agent_contract.py ties them) --


class CandidateRefOut(Response):
    id: str
    name: str
    timezone: str = Field(description="IANA zone the agent speaks times in")


class CallFieldOut(Response):
    name: str
    label: str
    type: str = Field(description="number | percentage | money | date | yes_no | choice | text")
    choices: list[str]
    question: str | None


class CallerOut(Response):
    company: str
    role: str | None
    recruiter_name: str | None
    callback_number: str | None = Field(description="E.164")


class ConsentOut(Response):
    source: str | None
    channel: str | None
    at: str | None = Field(description="ISO-8601")


class CallContextOut(Response):
    call_id: str
    candidate: CandidateRefOut
    fields: list[CallFieldOut] = Field(description="the fields this call still has to ask, in order")
    voicemail_message: str
    transfer_to: str | None = Field(description="tel: URI for a transfer to a person, if one is configured")
    caller: CallerOut | None = Field(description="whom the agent calls for (None: no company configured)")
    consent: ConsentOut
    transcribed: bool = Field(description="every turn is stored and reported: the callee is told so")
    currency: str | None = Field(description="the candidate's local currency (ISO 4217)")


class FieldSavedOut(Response):
    name: str
    value: str | None = Field(description="the normalized value (None unless answered)")
    status: AnswerStatus
    missing_fields: list[str] = Field(description="the candidate's required fields still missing")


class CallbackOut(Response):
    scheduled_at: str = Field(description="ISO-8601, UTC")
    local: str = Field(description="ISO-8601 in the candidate's zone")


class InterviewInfoOut(Response):
    id: str
    role: str
    scheduled_at: str
    resume_summary: str
    notes: str


class BriefingCandidateOut(Response):
    id: str
    name: str
    fields: dict[str, Any]


class PersonOut(Response):
    id: str
    name: str


class BriefingOut(Response):
    interview: InterviewInfoOut
    candidate: BriefingCandidateOut
    interviewer: PersonOut


class InterviewChoiceOut(Response):
    id: str
    candidate_name: str
    role: str
    scheduled_at: str


class IdentificationOut(Response):
    interviewer: PersonOut | None = Field(description="None: the number or PIN matched nobody")
    interviews: list[InterviewChoiceOut] = Field(description="the interviewer's interviews from an hour ago to 24 h ahead")
    pin_required: bool = Field(description="the caller must give their PIN (the number alone does not identify them)")
