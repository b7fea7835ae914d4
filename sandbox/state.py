"""Rooms, participants and agent dispatches held in memory, with the webhooks each change causes.

Every change goes through ``RoomRegistry`` so the webhook sequence is LiveKit's: ``room_started``
when a room appears, ``participant_joined``/``participant_left`` around each participant, ``track_published``
when one publishes a track and ``track_unpublished`` for each of its tracks as it leaves, and
``room_finished`` when the room is deleted, or ``departure_timeout`` seconds after its last participant
other than agents left (a join in between keeps it open), as LiveKit does. (The sandbox does not time
out rooms that never had anyone in them.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping

from livekit.protocol.agent_dispatch import AgentDispatch, AgentDispatchState, RoomAgentDispatch
from livekit.protocol.models import DisconnectReason, ParticipantInfo, Room, RoomEndReason, TrackInfo
from livekit.protocol.room import CreateRoomRequest, UpdateParticipantRequest
from livekit.protocol.webhook import WebhookEvent

from .agents import SandboxAgents
from .errors import not_found
from .ids import new_id

DEFAULT_EMPTY_TIMEOUT_S = 300
DEFAULT_DEPARTURE_TIMEOUT_S = 20

Emit = Callable[[WebhookEvent], None]
LeftListener = Callable[[str, ParticipantInfo], None]


def merge_attributes(target: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """LiveKit's attribute update: set each key, an empty value deletes it."""
    merged = dict(target)
    for key, value in changes.items():
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    return merged


class RoomRegistry:
    """The rooms of one sandbox; all mutation happens on the event loop, so no locking."""

    def __init__(self, *, clock: Callable[[], float], emit: Emit, departure_time_scale: float = 1.0,
                 agents: SandboxAgents | None = None) -> None:
        self._clock = clock
        self._agents = agents  # the worker that takes dispatched jobs; None: no worker, every job is dropped
        self._departure_time_scale = departure_time_scale
        self._emit = emit
        self.rooms: dict[str, Room] = {}
        self.participants: dict[str, dict[str, ParticipantInfo]] = {}
        self.dispatches: list[AgentDispatch] = []  # every dispatch ever made; deleted ones have deleted_at
        self._left_listeners: list[LeftListener] = []
        self._departures: dict[str, asyncio.TimerHandle] = {}

    def on_participant_left(self, listener: LeftListener) -> None:
        self._left_listeners.append(listener)

    # rooms

    def ensure_room(self, name: str, *, metadata: str = "", empty_timeout: int = 0, departure_timeout: int = 0,
                    max_participants: int = 0) -> Room:
        """The named room, created (with a room_started webhook) when absent."""
        existing = self.rooms.get(name)
        if existing is not None:
            return existing
        now = self._clock()
        room = Room(
            sid=new_id("RM_"),
            name=name,
            empty_timeout=empty_timeout or DEFAULT_EMPTY_TIMEOUT_S,
            departure_timeout=departure_timeout or DEFAULT_DEPARTURE_TIMEOUT_S,
            max_participants=max_participants,
            creation_time=int(now),
            creation_time_ms=int(now * 1000),
            metadata=metadata,
        )
        self.rooms[name] = room
        self.participants[name] = {}
        self._event("room_started", name)
        return room

    def create_room(self, request: CreateRoomRequest) -> Room:
        """CreateRoom: like LiveKit, an existing room is returned unchanged."""
        if request.name in self.rooms:
            return self.rooms[request.name]
        room = self.ensure_room(
            request.name,
            metadata=request.metadata,
            empty_timeout=request.empty_timeout,
            departure_timeout=request.departure_timeout,
            max_participants=request.max_participants,
        )
        for agent in request.agents:
            self.add_dispatch(request.name, agent)
        if not request.agents:  # livekit-server's automatic dispatch: one with no agent name
            self.add_dispatch(request.name, RoomAgentDispatch())
        return room

    def require_room(self, name: str) -> Room:
        room = self.rooms.get(name)
        if room is None:
            raise not_found("room not found")
        return room

    def list_rooms(self, names: Iterable[str] = ()) -> list[Room]:
        wanted = set(names)
        return [room for name, room in self.rooms.items() if not wanted or name in wanted]

    def set_room_metadata(self, name: str, metadata: str) -> Room:
        room = self.require_room(name)
        room.metadata = metadata
        return room

    def delete_room(self, name: str) -> None:
        """DeleteRoom: everyone leaves (ROOM_DELETED), then room_finished."""
        self.require_room(name)
        for identity in list(self.participants[name]):
            self.leave(name, identity, DisconnectReason.ROOM_DELETED, close_if_empty=False)
        self._finish(name, RoomEndReason.ROOM_END_API_DELETE)

    def _finish(self, name: str, reason: RoomEndReason) -> None:
        self._cancel_departure(name)
        now_ns = int(self._clock() * 1e9)
        for dispatch in self.dispatches:
            if dispatch.room == name and not dispatch.state.deleted_at:
                dispatch.state.deleted_at = now_ns
        self._event("room_finished", name, room_end_reason=reason)
        del self.rooms[name]
        del self.participants[name]
        if self._agents is not None:
            self._agents.room_finished(name)

    # participants

    def join(self, room_name: str, info: ParticipantInfo) -> ParticipantInfo:
        """Adds a participant; one with the same identity is replaced, as LiveKit does."""
        self.require_room(room_name)
        if info.identity in self.participants[room_name]:
            self.leave(room_name, info.identity, DisconnectReason.DUPLICATE_IDENTITY, close_if_empty=False)
        now = self._clock()
        if not info.sid:
            info.sid = new_id("PA_")
        info.state = ParticipantInfo.State.ACTIVE
        info.joined_at = int(now)
        info.joined_at_ms = int(now * 1000)
        self.participants[room_name][info.identity] = info
        if info.kind != ParticipantInfo.Kind.AGENT:
            self._cancel_departure(room_name)
        self._sync_count(room_name)
        self._event("participant_joined", room_name, participant=info)
        return info

    def leave(self, room_name: str, identity: str, reason: DisconnectReason, *,
              attributes: Mapping[str, str] | None = None, close_if_empty: bool = True) -> ParticipantInfo:
        """Removes a participant (participant_left); an emptied room finishes."""
        info = self.get_participant(room_name, identity)
        del self.participants[room_name][identity]
        if attributes:
            replace_attributes(info, merge_attributes(info.attributes, attributes))
        for track in list(info.tracks):  # LiveKit unpublishes a leaving participant's tracks first
            self._event("track_unpublished", room_name, participant=_track_owner(info), track=track)
        info.state = ParticipantInfo.State.DISCONNECTED
        info.disconnect_reason = reason
        self._sync_count(room_name)
        self._event("participant_left", room_name, participant=info)
        for listener in list(self._left_listeners):
            listener(room_name, info)
        if close_if_empty and room_name in self.rooms and not any(
            p.kind != ParticipantInfo.Kind.AGENT for p in self.participants[room_name].values()
        ):
            self._depart(room_name)
        return info

    def _depart(self, room_name: str) -> None:
        """The room closes after its departure time-out, unless someone joins first."""
        delay = self.rooms[room_name].departure_timeout * self._departure_time_scale
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or delay <= 0:
            self._finish(room_name, RoomEndReason.ROOM_END_IDLE_TIMEOUT)
            return
        self._cancel_departure(room_name)
        room_sid = self.rooms[room_name].sid
        self._departures[room_name] = loop.call_later(delay, self._departed, room_name, room_sid)

    def _departed(self, room_name: str, room_sid: str) -> None:
        self._departures.pop(room_name, None)
        room = self.rooms.get(room_name)
        if room is not None and room.sid == room_sid and not any(
            p.kind != ParticipantInfo.Kind.AGENT for p in self.participants[room_name].values()
        ):
            for identity in list(self.participants[room_name]):  # the agents go with the room
                self.leave(room_name, identity, DisconnectReason.ROOM_CLOSED, close_if_empty=False)
            self._finish(room_name, RoomEndReason.ROOM_END_IDLE_TIMEOUT)

    def _cancel_departure(self, room_name: str) -> None:
        timer = self._departures.pop(room_name, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        """Stops pending departures and agent jobs (the sandbox is stopping)."""
        for timer in self._departures.values():
            timer.cancel()
        self._departures.clear()
        if self._agents is not None:
            self._agents.close()

    def get_participant(self, room_name: str, identity: str) -> ParticipantInfo:
        self.require_room(room_name)
        info = self.participants[room_name].get(identity)
        if info is None:
            raise not_found("participant not found")
        return info

    def list_participants(self, room_name: str) -> list[ParticipantInfo]:
        """Like livekit-server, a room that does not exist (or has ended) lists no one rather than failing."""
        return list(self.participants.get(room_name, {}).values())

    def update_participant(self, request: UpdateParticipantRequest) -> ParticipantInfo:
        """UpdateParticipant: empty metadata/name mean "leave as is"; attributes merge."""
        info = self.get_participant(request.room, request.identity)
        if request.metadata:
            info.metadata = request.metadata
        if request.name:
            info.name = request.name
        if request.HasField("permission"):
            info.permission.CopyFrom(request.permission)
        if request.attributes:
            replace_attributes(info, merge_attributes(info.attributes, request.attributes))
        return info

    def set_attributes(self, room_name: str, identity: str, changes: Mapping[str, str]) -> ParticipantInfo:
        info = self.get_participant(room_name, identity)
        replace_attributes(info, merge_attributes(info.attributes, changes))
        return info

    def publish_track(self, room_name: str, identity: str, track: TrackInfo) -> TrackInfo:
        """A participant publishes a track (``track_published``); it is unpublished when the participant leaves."""
        info = self.get_participant(room_name, identity)
        if not track.sid:
            track.sid = new_id("TR_")
        info.tracks.append(track)
        self._event("track_published", room_name, participant=_track_owner(info), track=track)
        return track

    def _sync_count(self, room_name: str) -> None:
        self.rooms[room_name].num_participants = len(self.participants[room_name])

    # agent dispatch

    def add_dispatch(self, room_name: str, agent: RoomAgentDispatch) -> AgentDispatch:
        """Records an agent dispatch; the room is created if absent, as LiveKit does."""
        self.ensure_room(room_name)
        dispatch = AgentDispatch(
            id=new_id("AD_"),
            agent_name=agent.agent_name,
            room=room_name,
            metadata=agent.metadata,
            restart_policy=agent.restart_policy,
            deployment=agent.deployment,
            attributes=dict(agent.attributes),
            state=AgentDispatchState(created_at=int(self._clock() * 1e9)),
        )
        self.dispatches.append(dispatch)
        if self._agents is not None:
            self._agents.take(self, dispatch)
        return dispatch

    def list_dispatches(self, room_name: str, dispatch_id: str = "") -> list[AgentDispatch]:
        return [
            d for d in self.dispatches
            if d.room == room_name and not d.state.deleted_at and (not dispatch_id or d.id == dispatch_id)
        ]

    def delete_dispatch(self, room_name: str, dispatch_id: str) -> AgentDispatch:
        for dispatch in self.list_dispatches(room_name, dispatch_id):
            dispatch.state.deleted_at = int(self._clock() * 1e9)
            return dispatch
        raise not_found("dispatch not found")

    # webhooks

    def _event(self, name: str, room_name: str, *, participant: ParticipantInfo | None = None,
               room_end_reason: RoomEndReason | None = None, track: TrackInfo | None = None) -> None:
        event = WebhookEvent(event=name, id=new_id("EV_"), created_at=int(self._clock()))
        event.room.CopyFrom(self.rooms[room_name])
        if participant is not None:
            event.participant.CopyFrom(participant)
        if track is not None:
            event.track.CopyFrom(track)
        if room_end_reason is not None:
            event.room_end_reason = room_end_reason
        self._emit(event)


def _track_owner(info: ParticipantInfo) -> ParticipantInfo:
    """LiveKit's track webhooks name the participant by sid and identity only (seen on the stage)."""
    return ParticipantInfo(sid=info.sid, identity=info.identity)


def replace_attributes(info: ParticipantInfo, attributes: Mapping[str, str]) -> None:
    info.attributes.clear()
    info.attributes.update(attributes)
