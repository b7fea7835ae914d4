from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.base import Request, Response
from api.schemas.rules import EMAIL_PATTERN, PIN_PATTERN, Identifier


class InterviewerIn(Request):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN, examples=["alan@example.com"])
    pin: str | None = Field(
        default=None, pattern=PIN_PATTERN, description="4-8 digits 0-9, typed on the keypad when calling from an unknown number"
    )


class InterviewerOut(Response):
    id: str
    name: str
    phone: str | None
    email: str | None
    has_pin: bool
    created_at: datetime


class InterviewIn(Request):
    candidate_id: Identifier
    interviewer_id: Identifier
    role: str = Field(min_length=1, max_length=200)
    scheduled_at: datetime
    resume_summary: str = Field(default="", max_length=20_000)
    notes: str = Field(default="", max_length=20_000)


class InterviewOut(Response):
    id: str
    candidate_id: str
    interviewer_id: str
    role: str
    scheduled_at: datetime
    resume_summary: str
    notes: str
    room_name: str
    created_at: datetime
