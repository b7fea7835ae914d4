from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.base import Request
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


class CallbackIn(Request):
    at_local: datetime = Field(description="wall-clock time in the candidate's zone, e.g. 2026-11-26T15:00")


class EndIn(Request):
    outcome: Literal["answered", "voicemail", "wrong_person", "no_longer_looking", "accepted_other_job"]
    reason: str = Field(default="", max_length=300)


class IdentifyIn(Request):
    phone: str = Field(min_length=1, max_length=40)


class PinIn(Request):
    pin: str = Field(pattern=PIN_PATTERN, description="4-8 digits 0-9")
    phone: str | None = Field(default=None, max_length=40)
