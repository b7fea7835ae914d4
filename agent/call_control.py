"""Hanging up and transferring, behind one small interface.

Tools call `CallControl`; production binds it to LiveKit's server API (delete the room, SIP REFER),
tests bind a recorder. livekit-agents' own `JobContext.delete_room()` silently does nothing in a fake
job, which would make the behaviour untestable, hence this seam.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import aiohttp
from livekit import api
from livekit.protocol.sip import SIPTransferStatus

logger = logging.getLogger(__name__)

# A hang-up waits this long for LiveKit, then gives up (the room's departure and empty time-outs close it anyway):
# the job's shutdown must not hang on an unreachable server.
HANG_UP_TIMEOUT_S = 5.0


class TransferFailed(Exception):
    """The transfer did not go through; `sip_status` is set when the far end answered with an error."""

    def __init__(self, message: str, *, sip_status: int | None = None) -> None:
        super().__init__(message)
        self.sip_status = sip_status


class CallControl(Protocol):
    @property
    def can_transfer(self) -> bool:
        """Only phone (SIP) participants can be transferred."""
        ...

    async def transfer(self, transfer_to: str) -> None:
        """Cold-transfer the caller (SIP REFER) to `transfer_to` ("tel:+1..." or "sip:...")."""
        ...

    async def hang_up(self) -> None:
        """End the conversation for everyone: deleting the room disconnects the phone leg too."""
        ...


class LiveKitCallControl:
    """`CallControl` over LiveKit's Twirp API (`livekit.api.LiveKitAPI`)."""

    def __init__(self, lkapi: api.LiveKitAPI, *, room_name: str, participant_identity: str | None) -> None:
        self._api = lkapi
        self._room = room_name
        self._identity = participant_identity  # the SIP participant; None for web participants

    @property
    def can_transfer(self) -> bool:
        return self._identity is not None

    async def transfer(self, transfer_to: str) -> None:
        if self._identity is None:
            raise TransferFailed("only phone calls can be transferred")
        request = api.TransferSIPParticipantRequest(
            room_name=self._room,
            participant_identity=self._identity,
            transfer_to=transfer_to,
            play_dialtone=False,
        )
        try:
            reply = await self._api.sip.transfer_sip_participant(request)
        except api.SipCallError as exc:
            raise TransferFailed("the transfer was refused", sip_status=exc.sip_status_code) from None
        except api.TwirpError as exc:
            raise TransferFailed(f"the transfer failed ({exc.code})") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransferFailed(f"the transfer request failed ({type(exc).__name__})") from None
        if reply.status == SIPTransferStatus.STS_TRANSFER_FAILED:
            # An answer without an error can still say FAILED; only that status is a failure. ONGOING (what
            # livekit/sip's empty reply decodes to) means the REFER was accepted and the far end carries the call on.
            code = reply.sip_status.code if reply.HasField("sip_status") else None
            raise TransferFailed("the transfer failed", sip_status=code or None)

    async def hang_up(self) -> None:
        """Never raises: a hang-up that cannot reach LiveKit is logged, and the room's own time-outs end the call."""
        try:
            async with asyncio.timeout(HANG_UP_TIMEOUT_S):
                await self._api.room.delete_room(api.DeleteRoomRequest(room=self._room))
        except api.TwirpError as exc:
            if exc.code != api.TwirpErrorCode.NOT_FOUND:  # already gone is what we wanted
                logger.warning("could not delete the room to hang up: %s", exc.code)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            logger.warning("could not reach LiveKit to hang up: %s", type(exc).__name__)


class LocalCallControl:
    """`CallControl` for runs without LiveKit (text sessions, tests, benchmarks): records what was asked.

    `hung_up` is an event so callers can wait for the hang-up instead of sleeping.
    """

    def __init__(self, *, can_transfer: bool = True, fail_transfer: bool = False) -> None:
        self._can_transfer = can_transfer
        self._fail_transfer = fail_transfer
        self.transfers: list[str] = []
        self.hang_ups = 0
        self.hung_up = asyncio.Event()

    @property
    def can_transfer(self) -> bool:
        return self._can_transfer

    async def transfer(self, transfer_to: str) -> None:
        if self._fail_transfer:
            raise TransferFailed("the transfer was refused", sip_status=486)
        self.transfers.append(transfer_to)

    async def hang_up(self) -> None:
        self.hang_ups += 1
        self.hung_up.set()
