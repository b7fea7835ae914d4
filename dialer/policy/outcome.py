"""Call outcomes, named exactly as in the API contract, so they round-trip as plain strings."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How one call attempt ended."""

    ANSWERED = "answered"  # answered, and every field this call asks was collected (or the callee's "don't know")
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
    # The agent handed the candidate to a person (the SIP REFER went through): what they asked for is theirs now, and
    # fields saved before the transfer stay saved. A refused or failed REFER is not this.
    TRANSFERRED = "transferred"
    # Answered, but the callee hung up (or went silent) before every field was collected: retried for the rest.
    PARTIALLY_COLLECTED = "partially_collected"  # this attempt collected some of them
    NOTHING_COLLECTED = "nothing_collected"  # this attempt collected none of them
    # No agent took the room's job in time: the phone never rang, and the attempt is given back.
    NO_AGENT = "no_agent"
    # Held back before it rang (the LiveKit circuit opened while the dial waited for its CPS slot): given back too.
    NOT_PLACED = "not_placed"


NEVER_RETRIED = frozenset(
    {Outcome.ANSWERED, Outcome.INVALID_NUMBER, Outcome.WRONG_PERSON, Outcome.NO_LONGER_LOOKING,
     Outcome.ACCEPTED_OTHER_JOB, Outcome.TRANSFERRED}
)
# Answered and ended before every field was collected: the call is retried for what is still missing.
INCOMPLETE = frozenset({Outcome.PARTIALLY_COLLECTED, Outcome.NOTHING_COLLECTED})
# Answered conversations that close the call for good (the candidate said so).
CANDIDATE_CLOSED = frozenset({Outcome.NO_LONGER_LOOKING, Outcome.ACCEPTED_OTHER_JOB})
# Attempts that never rang anyone: closed, given back (not counted against max_attempts), and queued again.
GIVEN_BACK = frozenset({Outcome.NO_AGENT, Outcome.NOT_PLACED})
