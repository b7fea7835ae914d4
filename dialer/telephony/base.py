"""What the dialer needs from a telephony provider, and how a failed dial is described."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from dialer.policy import Outcome


# Set by the dialer around `Telephony.place`: an adapter that knows when its request left (its headers written to
# the socket) calls it then, so the CPS guard learns how late requests really leave, not only how late they were
# checked (the event loop may run other work between the two). An adapter that cannot tell leaves it uncalled.
REQUEST_SENT: ContextVar[Callable[[], None] | None] = ContextVar("dialer_request_sent", default=None)


@dataclass(frozen=True)
class DialRequest:
    call_id: str
    attempt_id: str
    room_name: str
    phone_e164: str
    trunk_id: str
    agent_name: str
    agent_metadata: str  # JSON for the agent dispatch: mode, ids and the call-scoped credential
    participant_identity: str
    participant_name: str
    participant_attributes: dict[str, str] = field(default_factory=dict)  # mode and ids only: visible to the room
    ringing_timeout_s: int = 30
    max_call_duration_s: int = 600


@dataclass(frozen=True)
class DialResult:
    """The callee answered: the SIP participant is in the room."""

    participant_identity: str
    sip_call_id: str = ""


class DialFailed(Exception):
    """The call was placed and did not connect: busy, no answer, declined, invalid number, carrier failure."""

    def __init__(
        self, outcome: Outcome, *, sip_status_code: int | None, detail: str, ringing_timed_out: bool = False
    ) -> None:
        """`ringing_timed_out`: LiveKit said the ringing time-out ran out, which a dead trunk also says under a
        time-out shorter than the INVITE's 32 s; the leg's last call status settles which (`dialer.engine.dial`)."""
        super().__init__(detail)
        self.outcome = outcome
        self.sip_status_code = sip_status_code
        self.detail = detail
        self.ringing_timed_out = ringing_timed_out


class TelephonyUnavailable(Exception):
    """LiveKit could not be asked, or did not answer in time.

    `maybe_placed` is True when the SIP request may have left (e.g. a time-out after sending it): the attempt must be
    reconciled against LiveKit, never blindly re-dialled.
    """

    def __init__(self, detail: str, *, maybe_placed: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.maybe_placed = maybe_placed


class AgentUnavailable(Exception):
    """No agent took the room's job in time (LiveKit drops a dispatch no worker is free for): nothing was rung."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class RoomState:
    exists: bool
    callee_present: bool = False
    callee_call_status: str | None = None  # LiveKit's sip.callStatus: dialing | ringing | active | hangup


@dataclass(frozen=True)
class ParticipantSummary:
    identity: str
    kind: str  # standard | sip | agent | ...
    call_status: str | None = None


class AgentRooms(Protocol):
    async def open_agent_room(
        self, room_name: str, *, agent_name: str, agent_metadata: str, empty_timeout_s: int, departure_timeout_s: int
    ) -> None:
        """A room with the agent dispatched in its configuration (server-side: no client token carries it)."""
        ...


class Telephony(Protocol):
    async def dial(self, request: DialRequest) -> DialResult:
        """`prepare` then `place`."""
        ...

    async def prepare(self, request: DialRequest) -> None:
        """Everything before the phone rings: the room with its agent dispatch, and the agent in it (raises
        AgentUnavailable when none came in time). Safe to do ahead of the CPS slot."""
        ...

    async def place(self, request: DialRequest) -> DialResult:
        """The SIP request itself, sent once at its slot; returns when answered, raises DialFailed otherwise."""
        ...

    async def room_state(self, room_name: str, callee_identity: str) -> RoomState: ...

    async def participants(self, room_name: str) -> list[ParticipantSummary]: ...

    async def end_room(self, room_name: str) -> None: ...

    async def close(self) -> None: ...
