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
    # Conversations the agent ended with an answer of their own; none is retried.
    WRONG_PERSON = "wrong_person"  # someone else answered: the number is flagged
    NO_LONGER_LOOKING = "no_longer_looking"
    ACCEPTED_OTHER_JOB = "accepted_other_job"


NEVER_RETRIED = frozenset(
    {Outcome.ANSWERED, Outcome.INVALID_NUMBER, Outcome.WRONG_PERSON, Outcome.NO_LONGER_LOOKING,
     Outcome.ACCEPTED_OTHER_JOB}
)
# Answered conversations that close the call for good (the candidate said so).
CANDIDATE_CLOSED = frozenset({Outcome.NO_LONGER_LOOKING, Outcome.ACCEPTED_OTHER_JOB})
