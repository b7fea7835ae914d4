"""A call's states and the moves between them: one table, read by every query and checked by every write.

Pure (no database): the API, the metrics, the queue and the tests all name states from here.
"""

from __future__ import annotations

from enum import StrEnum

from dialer.policy import Outcome as AttemptOutcome

__all__ = ["ACTIVE", "FINAL", "INITIAL", "OPEN", "TRANSITIONS", "AttemptOutcome", "CallState", "IllegalTransition", "check"]


class CallState(StrEnum):
    """Stored as these strings; the API's `state` values."""

    SCHEDULED = "scheduled"  # waiting for next_attempt_at (None: parked while its batch is paused)
    DIALING = "dialing"  # an attempt is committed; the SIP request is leaving or ringing
    IN_CALL = "in_call"  # the callee answered
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Tuples, not sets: they go into SQL `IN (...)` as they are, in a stable order.
ACTIVE = (CallState.DIALING, CallState.IN_CALL)  # holds a line on its trunk, and a lease
OPEN = (CallState.SCHEDULED, *ACTIVE)  # may still ring the candidate
FINAL = (CallState.COMPLETED, CallState.FAILED, CallState.CANCELLED)

# Where a call may go from each state. A new call starts SCHEDULED (or IN_CALL: a browser call is answered on join).
TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    CallState.SCHEDULED: frozenset({CallState.DIALING, CallState.FAILED, CallState.CANCELLED}),
    # An active call of a cancelled batch whose attempt ends goes straight to CANCELLED rather than waiting, counted
    # as scheduled, for a retry that will never be dialled.
    CallState.DIALING: frozenset(
        {CallState.IN_CALL, CallState.SCHEDULED, CallState.COMPLETED, CallState.FAILED, CallState.CANCELLED}
    ),
    CallState.IN_CALL: frozenset({CallState.SCHEDULED, CallState.COMPLETED, CallState.FAILED, CallState.CANCELLED}),
    CallState.COMPLETED: frozenset(),
    CallState.FAILED: frozenset(),
    CallState.CANCELLED: frozenset(),
}
INITIAL = frozenset({CallState.SCHEDULED, CallState.IN_CALL})


class IllegalTransition(RuntimeError):
    """A move the table does not allow: a bug in the caller, never a user's mistake."""


def check(current: str, to: CallState) -> CallState:
    """`to`, if the table allows it from `current`; raises otherwise."""
    if to not in TRANSITIONS[CallState(current)]:
        raise IllegalTransition(f"a call cannot go from {current} to {to.value}")
    return to
