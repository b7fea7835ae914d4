"""One owner for a call's life: its states and their allowed moves, its lease, its decision trail and the outbox
events that report them. Below `engine/` and `services/`; the only code that writes those columns."""

from dialer.lifecycle.lease import LeaseRules
from dialer.lifecycle.states import (
    ACTIVE,
    FINAL,
    INITIAL,
    OPEN,
    TRANSITIONS,
    AttemptOutcome,
    CallState,
    IllegalTransition,
)

__all__ = [
    "ACTIVE",
    "FINAL",
    "INITIAL",
    "OPEN",
    "TRANSITIONS",
    "AttemptOutcome",
    "CallState",
    "IllegalTransition",
    "LeaseRules",
]
