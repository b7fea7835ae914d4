"""Call outcomes, named exactly as in the API contract, so they round-trip as plain strings."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How one call attempt ended."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    VOICEMAIL = "voicemail"
    INVALID_NUMBER = "invalid_number"
    ERROR = "error"
