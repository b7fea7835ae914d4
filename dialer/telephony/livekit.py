"""The production telephony adapter: LiveKit rooms, agent dispatch and SIP outbound, through `livekit-api`.

Order per dial: `prepare` (the room with its timeouts and an explicit agent dispatch, then a bounded wait until an
agent participant has joined: LiveKit dispatches the job once, at room creation, and drops it when no worker is
free, so no phone rings before an agent has taken the job), then `place` (`CreateSIPParticipant` with `wait_until_answered`, so the SIP final response comes
back as `SipCallError`). The dispatcher prepares ahead and places at the call's CPS slot. Requests that are safe to repeat
are retried on transient errors (`transient.py`); `CreateSIPParticipant` never is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.api.twirp_client import ServerError, SipCallError

from dialer import agent_dispatch
from dialer.telephony.base import (
    REQUEST_SENT,
    AgentUnavailable,
    DialFailed,
    DialRequest,
    DialResult,
    ParticipantSummary,
    RoomState,
    TelephonyUnavailable,
)
from dialer.policy import Outcome
from dialer.telephony.sip_outcomes import (
    TRUNK_NO_RESPONSE_DETAIL,
    Cancellation,
    classify_cancellation,
    outcome_for_sip_status,
)
from dialer.telephony.transient import Backoff, Sleeper, describe, with_backoff

log = logging.getLogger(__name__)
T = TypeVar("T")

_ROOM_EMPTY_TIMEOUT_S = 60
_ROOM_DEPARTURE_TIMEOUT_S = 10


def _cancelled(exc: ServerError) -> DialFailed | TelephonyUnavailable:
    """A `canceled` CreateSIPParticipant: only a ringing time-out is the callee's no answer. A carrier that never
    answered the INVITE is a failed dial (it counts against the circuit breaker and retries soon); a SIP node shutting
    down placed nothing that completed, so the attempt ends as an error, not as the callee's doing."""
    cancellation = classify_cancellation(exc.message)
    if cancellation is Cancellation.RINGING_TIMED_OUT:
        return DialFailed(Outcome.NO_ANSWER, sip_status_code=None, detail="ringing timed out", ringing_timed_out=True)
    if cancellation is Cancellation.TRUNK_NO_RESPONSE:
        return DialFailed(Outcome.ERROR, sip_status_code=None, detail=TRUNK_NO_RESPONSE_DETAIL)
    if cancellation is Cancellation.SIP_NODE_SHUTTING_DOWN:
        return TelephonyUnavailable("LiveKit's SIP node was shutting down", maybe_placed=False)
    return DialFailed(Outcome.ERROR, sip_status_code=None, detail=f"canceled by LiveKit: {exc.message}")


def _request_sent_trace() -> aiohttp.TraceConfig:
    """Calls `REQUEST_SENT` (if the dialer set it for this task) once a request's headers are written."""

    async def headers_sent(_session: aiohttp.ClientSession, _context: object, _params: object) -> None:
        sent = REQUEST_SENT.get()
        if sent is not None:
            sent()

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(headers_sent)
    return trace


class LiveKitTelephony:
    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        api_secret: str,
        request_timeout_s: float = 10.0,
        backoff: Backoff = Backoff(),
        sleep: Sleeper = asyncio.sleep,
        agent_wait_s: float = 10.0,
        agent_poll_s: float = 0.2,
    ) -> None:
        self.url = url
        self._agent_wait_s = agent_wait_s
        self._agent_poll_s = agent_poll_s
        self._key = api_key
        self._secret = api_secret
        self._timeout = request_timeout_s
        self._backoff = backoff
        self._sleep = sleep
        self._client: api.LiveKitAPI | None = None
        self._session: aiohttp.ClientSession | None = None

    def _api(self) -> api.LiveKitAPI:
        # Created lazily inside the running loop (aiohttp sessions are bound to one).
        if self._client is None:
            # No connection limit (aiohttp's default is 100): a ringing call's CreateSIPParticipant holds its
            # connection until answered, so with 100 calls ringing the 101st request would wait, past its CPS slot,
            # for one to free. The lines cap (max_concurrent_calls) bounds how many are open.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout), connector=aiohttp.TCPConnector(limit=0),
                trace_configs=[_request_sent_trace()],
            )
            self._client = api.LiveKitAPI(
                self.url,
                self._key,
                self._secret,
                session=self._session,
                failover=False,  # one region: a retry elsewhere could ring the callee twice
            )
        return self._client

    async def _retried(self, what: str, op: Callable[[int], Awaitable[T]]) -> T:
        async def bounded(attempt: int) -> T:
            # livekit-api hands aiohttp `timeout=None` for these requests, which means no time-out at all: bound each
            # try here, or a hung LiveKit would hold a dial (and its slot) forever.
            async with asyncio.timeout(self._timeout):
                return await op(attempt)

        return await with_backoff(bounded, what=what, backoff=self._backoff, sleep=self._sleep)

    async def dial(self, request: DialRequest) -> DialResult:
        await self.prepare(request)
        return await self.place(request)

    async def prepare(self, request: DialRequest) -> None:
        """The room, with the agent dispatched in the same request; nothing rings yet (`maybe_placed=False`).

        One CreateRoom carries the dispatch (`agents`) so a retry can never send a second agent: LiveKit returns an
        existing room unchanged, so whichever try lands first dispatches the agent and the others do nothing, even
        a timed-out try that lands late. (A separate CreateDispatch retried after a time-out could land twice.)
        """
        lk = self._api()
        room = api.CreateRoomRequest(
            name=request.room_name,
            empty_timeout=_ROOM_EMPTY_TIMEOUT_S,
            departure_timeout=_ROOM_DEPARTURE_TIMEOUT_S,
            max_participants=4,
            agents=[api.RoomAgentDispatch(agent_name=request.agent_name, metadata=request.agent_metadata)],
        )
        try:
            await self._retried("CreateRoom", lambda _attempt: lk.room.create_room(room))
        except (ServerError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelephonyUnavailable(f"preparing the room failed: {describe(exc)}", maybe_placed=False) from None
        await self.wait_for_agent(request.room_name)

    async def wait_for_agent(self, room_name: str) -> None:
        """Until a participant of kind AGENT is in the room (the worker took the job and joined), at most
        `agent_wait_s`; AgentUnavailable after that. ListParticipants, not ListDispatch: v1.13.5 records a job on the
        dispatch when it is assigned, before the worker has connected; a joined agent is the proof it can talk."""
        lk = self._api()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._agent_wait_s
        polls = int(self._agent_wait_s / self._agent_poll_s) + 2  # bounded even if the clock stalls
        request = api.ListParticipantsRequest(room=room_name)
        for _ in range(polls):
            try:
                listed = await self._retried("ListParticipants", lambda _a: lk.room.list_participants(request))
            except (ServerError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise TelephonyUnavailable(f"cannot see whether an agent joined: {describe(exc)}", maybe_placed=False) from None
            if any(p.kind == api.ParticipantInfo.Kind.AGENT for p in listed.participants):
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._sleep(min(self._agent_poll_s, remaining))
        raise AgentUnavailable(f"no agent took the job within {self._agent_wait_s:g} s")

    async def open_agent_room(
        self, room_name: str, *, agent_name: str, agent_metadata: str, empty_timeout_s: int, departure_timeout_s: int
    ) -> None:
        """A browser session's room, created with the agent dispatch (its metadata holds the credential) in its
        configuration, so the join token needs none. Retried like `prepare`: an existing room comes back unchanged,
        so a retry never sends a second agent."""
        lk = self._api()
        room = api.CreateRoomRequest(
            name=room_name,
            empty_timeout=empty_timeout_s,
            departure_timeout=departure_timeout_s,
            agents=[api.RoomAgentDispatch(agent_name=agent_name, metadata=agent_metadata)],
        )
        try:
            await self._retried("CreateRoom", lambda _attempt: lk.room.create_room(room))
        except (ServerError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelephonyUnavailable(f"opening the room failed: {describe(exc)}", maybe_placed=False) from None

    async def place(self, request: DialRequest) -> DialResult:
        """`CreateSIPParticipant`, sent once: a time-out after sending is `maybe_placed=True` (for the reconciler)."""
        sip_request = api.CreateSIPParticipantRequest(
            sip_trunk_id=request.trunk_id,
            sip_call_to=request.phone_e164,
            room_name=request.room_name,
            participant_identity=request.participant_identity,
            participant_name=request.participant_name,
            participant_attributes=request.participant_attributes,
            wait_until_answered=True,
            ringing_timeout=Duration(seconds=request.ringing_timeout_s),
            max_call_duration=Duration(seconds=request.max_call_duration_s),
            krisp_enabled=True,
        )
        try:
            info = await self._api().sip.create_sip_participant(
                sip_request, timeout=request.ringing_timeout_s + self._timeout
            )
        except SipCallError as exc:
            code = exc.sip_status_code
            raise DialFailed(outcome_for_sip_status(code), sip_status_code=code, detail=str(exc.sip_status or exc.message)) from None
        except ServerError as exc:
            if exc.code == "canceled" or exc.status == 408:
                raise _cancelled(exc) from None
            # LiveKit refused before dialling (bad trunk, quota, 5xx): nothing reached the phone network.
            raise TelephonyUnavailable(f"LiveKit refused the SIP request: {describe(exc)}", maybe_placed=exc.status >= 500) from None
        except aiohttp.ClientConnectorError as exc:
            raise TelephonyUnavailable(f"LiveKit unreachable: {describe(exc)}", maybe_placed=False) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelephonyUnavailable(f"no answer from LiveKit after sending the SIP request: {describe(exc)}", maybe_placed=True) from None
        return DialResult(participant_identity=info.participant_identity, sip_call_id=info.sip_call_id)

    async def room_state(self, room_name: str, callee_identity: str) -> RoomState:
        lk = self._api()
        try:
            rooms = await self._retried("ListRooms", lambda _a: lk.room.list_rooms(api.ListRoomsRequest(names=[room_name])))
            if not rooms.rooms:
                return RoomState(exists=False)
            participants = await self._retried(
                "ListParticipants", lambda _a: lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
            )
        except (ServerError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelephonyUnavailable(f"cannot read room state: {describe(exc)}", maybe_placed=True) from None
        for participant in participants.participants:
            if participant.identity == callee_identity:
                return RoomState(
                    exists=True, callee_present=True, callee_call_status=participant.attributes.get(agent_dispatch.ATTR_SIP_CALL_STATUS)
                )
        return RoomState(exists=True)

    async def participants(self, room_name: str) -> list[ParticipantSummary]:
        """Everyone in the room now; empty when the room does not exist."""
        lk = self._api()
        try:
            response = await self._retried(
                "ListParticipants", lambda _a: lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
            )
        except ServerError as exc:
            if exc.code == "not_found" or exc.status == 404:
                return []
            raise TelephonyUnavailable(f"cannot list participants: {describe(exc)}", maybe_placed=True) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelephonyUnavailable(f"cannot list participants: {describe(exc)}", maybe_placed=True) from None
        return [
            ParticipantSummary(
                identity=p.identity,
                kind=api.ParticipantInfo.Kind.Name(p.kind).lower(),
                call_status=p.attributes.get(agent_dispatch.ATTR_SIP_CALL_STATUS),
            )
            for p in response.participants
        ]

    async def end_room(self, room_name: str) -> None:
        lk = self._api()
        try:
            await self._retried("DeleteRoom", lambda _a: lk.room.delete_room(api.DeleteRoomRequest(room=room_name)))
        except ServerError as exc:
            if exc.status != 404 and exc.code != "not_found":
                raise TelephonyUnavailable(f"cannot end room: {describe(exc)}", maybe_placed=True) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TelephonyUnavailable(f"cannot end room: {describe(exc)}", maybe_placed=True) from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._session is not None:
            await self._session.close()  # ours: the client leaves a session it was given open
            self._session = None

