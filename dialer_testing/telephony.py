"""A Telephony (the protocol in dialer/telephony/base.py) in memory, for the dispatcher's and reconciler's tests.

Each number's result is scripted (answer by default); every request is kept; rooms exist once a call is answered
and until `end_room` or `hang_up`. The real adapter (dialer/telephony/livekit.py) is tested against the sandbox
and a real LiveKit; this one lets the engine be tested without either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from dialer.policy import Outcome
from dialer.telephony.base import (
    AgentUnavailable,
    DialFailed,
    DialRequest,
    DialResult,
    ParticipantSummary,
    RoomState,
    TelephonyUnavailable,
)

OnPlace = Callable[[DialRequest], Awaitable[None]]


@dataclass
class FakeTelephony:
    prepared: list[DialRequest] = field(default_factory=list)
    placed: list[DialRequest] = field(default_factory=list)
    ended_rooms: list[str] = field(default_factory=list)
    rooms: dict[str, RoomState] = field(default_factory=dict)
    closed: bool = False
    on_place: OnPlace | None = None  # runs as the SIP request "leaves", before its result: to look at the database
    _results: dict[str, Exception | None] = field(default_factory=dict)
    _no_agent: set[str] = field(default_factory=set)
    _room_errors: dict[str, TelephonyUnavailable] = field(default_factory=dict)
    _participants: dict[str, list[ParticipantSummary]] = field(default_factory=dict)

    # -- scripting ----------------------------------------------------------------------------------------------

    def answers(self, phone: str) -> None:
        self._results[phone] = None

    def fails(self, phone: str, outcome: Outcome, sip_status_code: int | None = None, detail: str = "") -> None:
        self._results[phone] = DialFailed(outcome, sip_status_code=sip_status_code, detail=detail or outcome.value)

    def no_agent(self, phone: str) -> None:
        """No agent takes this number's room: `prepare` raises AgentUnavailable (nothing is placed)."""
        self._no_agent.add(phone)

    def unavailable(self, phone: str, *, maybe_placed: bool, detail: str = "LiveKit did not answer") -> None:
        self._results[phone] = TelephonyUnavailable(detail, maybe_placed=maybe_placed)

    def room(self, room_name: str, state: RoomState) -> None:
        """What LiveKit shows for a room (for the reconciler)."""
        self.rooms[room_name] = state

    def room_unavailable(self, room_name: str, detail: str = "LiveKit did not answer") -> None:
        self._room_errors[room_name] = TelephonyUnavailable(detail, maybe_placed=False)

    def people(self, room_name: str, participants: list[ParticipantSummary]) -> None:
        self._participants[room_name] = participants

    def hang_up(self, room_name: str) -> None:
        self.rooms.pop(room_name, None)
        self._participants.pop(room_name, None)

    def placed_numbers(self) -> list[str]:
        return [r.phone_e164 for r in self.placed]

    # -- the protocol -------------------------------------------------------------------------------------------

    async def dial(self, request: DialRequest) -> DialResult:
        await self.prepare(request)
        return await self.place(request)

    async def prepare(self, request: DialRequest) -> None:
        self.prepared.append(request)
        if request.phone_e164 in self._no_agent:
            raise AgentUnavailable("no agent took the job within 10 s")

    async def place(self, request: DialRequest) -> DialResult:
        self.placed.append(request)
        if self.on_place is not None:
            await self.on_place(request)
        result = self._results.get(request.phone_e164)
        if result is not None:
            raise result
        self.rooms[request.room_name] = RoomState(exists=True, callee_present=True, callee_call_status="active")
        self._participants[request.room_name] = [
            ParticipantSummary(identity=request.participant_identity, kind="sip", call_status="active")
        ]
        return DialResult(participant_identity=request.participant_identity)

    async def room_state(self, room_name: str, callee_identity: str) -> RoomState:
        if room_name in self._room_errors:
            raise self._room_errors[room_name]
        return self.rooms.get(room_name, RoomState(exists=False))

    async def participants(self, room_name: str) -> list[ParticipantSummary]:
        return list(self._participants.get(room_name, []))

    async def end_room(self, room_name: str) -> None:
        self.ended_rooms.append(room_name)
        self.hang_up(room_name)

    async def close(self) -> None:
        self.closed = True
