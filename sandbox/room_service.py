"""RoomService and AgentDispatchService routes: thin adapters from Twirp messages to ``RoomRegistry``."""

from __future__ import annotations

from livekit.api.access_token import Claims
from livekit.protocol.agent_dispatch import (
    AgentDispatch,
    CreateAgentDispatchRequest,
    DeleteAgentDispatchRequest,
    ListAgentDispatchRequest,
    ListAgentDispatchResponse,
    RoomAgentDispatch,
)
from livekit.protocol.models import DisconnectReason, ParticipantInfo, Room
from livekit.protocol.room import (
    CreateRoomRequest,
    DeleteRoomRequest,
    DeleteRoomResponse,
    ListParticipantsRequest,
    ListParticipantsResponse,
    ListRoomsRequest,
    ListRoomsResponse,
    RemoveParticipantResponse,
    RoomParticipantIdentity,
    UpdateParticipantRequest,
    UpdateRoomMetadataRequest,
)

from . import auth
from .errors import invalid_argument
from .state import RoomRegistry
from .twirp import Route


def _room_of(request: object) -> str:
    return str(getattr(request, "room"))


def room_routes(registry: RoomRegistry) -> list[Route]:
    async def create_room(req: CreateRoomRequest, _c: Claims) -> Room:
        if not req.name:
            raise invalid_argument("room name is required")
        return registry.create_room(req)

    async def list_rooms(req: ListRoomsRequest, _c: Claims) -> ListRoomsResponse:
        return ListRoomsResponse(rooms=registry.list_rooms(req.names))

    async def delete_room(req: DeleteRoomRequest, _c: Claims) -> DeleteRoomResponse:
        registry.delete_room(req.room)
        return DeleteRoomResponse()

    async def update_room_metadata(req: UpdateRoomMetadataRequest, _c: Claims) -> Room:
        return registry.set_room_metadata(req.room, req.metadata)

    async def list_participants(req: ListParticipantsRequest, _c: Claims) -> ListParticipantsResponse:
        return ListParticipantsResponse(participants=registry.list_participants(req.room))

    async def get_participant(req: RoomParticipantIdentity, _c: Claims) -> ParticipantInfo:
        return registry.get_participant(req.room, req.identity)

    async def remove_participant(req: RoomParticipantIdentity, _c: Claims) -> RemoveParticipantResponse:
        registry.leave(req.room, req.identity, DisconnectReason.PARTICIPANT_REMOVED)
        return RemoveParticipantResponse()

    async def update_participant(req: UpdateParticipantRequest, _c: Claims) -> ParticipantInfo:
        return registry.update_participant(req)

    admin = auth.room_admin(_room_of)
    svc = "RoomService"
    return [
        Route(svc, "CreateRoom", CreateRoomRequest, create_room, auth.room_create),
        Route(svc, "ListRooms", ListRoomsRequest, list_rooms, auth.room_list),
        Route(svc, "DeleteRoom", DeleteRoomRequest, delete_room, auth.room_create),
        Route(svc, "UpdateRoomMetadata", UpdateRoomMetadataRequest, update_room_metadata, admin),
        Route(svc, "ListParticipants", ListParticipantsRequest, list_participants, admin),
        Route(svc, "GetParticipant", RoomParticipantIdentity, get_participant, admin),
        Route(svc, "RemoveParticipant", RoomParticipantIdentity, remove_participant, admin),
        Route(svc, "UpdateParticipant", UpdateParticipantRequest, update_participant, admin),
    ]


def dispatch_routes(registry: RoomRegistry) -> list[Route]:
    async def create_dispatch(req: CreateAgentDispatchRequest, _c: Claims) -> AgentDispatch:
        if not req.room:
            raise invalid_argument("room is required")
        agent = RoomAgentDispatch(
            agent_name=req.agent_name, metadata=req.metadata, restart_policy=req.restart_policy,
            deployment=req.deployment, attributes=dict(req.attributes),
        )
        return registry.add_dispatch(req.room, agent)

    async def list_dispatch(req: ListAgentDispatchRequest, _c: Claims) -> ListAgentDispatchResponse:
        return ListAgentDispatchResponse(agent_dispatches=registry.list_dispatches(req.room, req.dispatch_id))

    async def delete_dispatch(req: DeleteAgentDispatchRequest, _c: Claims) -> AgentDispatch:
        return registry.delete_dispatch(req.room, req.dispatch_id)

    admin = auth.room_admin(_room_of)
    svc = "AgentDispatchService"
    return [
        Route(svc, "CreateDispatch", CreateAgentDispatchRequest, create_dispatch, admin),
        Route(svc, "ListDispatch", ListAgentDispatchRequest, list_dispatch, admin),
        Route(svc, "DeleteDispatch", DeleteAgentDispatchRequest, delete_dispatch, admin),
    ]
