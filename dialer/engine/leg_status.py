"""The callee legs' last `sip.callStatus`, as LiveKit's departure webhooks report it, for the dial task that is
deciding what a ringing time-out was.

Under a ringing time-out shorter than the INVITE transaction's 32 s, a carrier that never answers the INVITE (a dead
trunk) and a phone that rang out come back from CreateSIPParticipant identically ("sip request timed out"); only the
leg's last status tells them apart (`sip_outcomes.ringing_timeout_cause`). The departure webhook and the dial's error
arrive at about the same time, in either order, so the webhook handler notes the status here and the dial task waits
for it, bounded. In-process: with several instances a webhook may reach another one, and the dial task falls back to
"no answer" (the reading before this board existed) when its wait runs out.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from livekit.protocol.models import ParticipantInfo
from livekit.protocol.webhook import WebhookEvent

from dialer import agent_dispatch

DEPARTURES = ("participant_left", "participant_connection_aborted")
CAPACITY = 2000  # rooms remembered; a dial task reads its room's within seconds of the departure


class LegStatuses:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._last: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._noted: dict[tuple[str, str], asyncio.Event] = {}

    def note_departure(self, event: WebhookEvent) -> bool:
        """Keeps a SIP participant's last call status from a departure webhook; True if it was one."""
        participant = event.participant
        status = participant.attributes.get(agent_dispatch.ATTR_SIP_CALL_STATUS)
        if event.event not in DEPARTURES or participant.kind != ParticipantInfo.Kind.SIP or not status:
            return False
        key = (event.room.name, participant.identity)
        self._last[key] = status
        self._last.move_to_end(key)
        while len(self._last) > self._capacity:
            self._last.popitem(last=False)
        if key in self._noted:
            self._noted[key].set()
        return True

    async def last_status(self, room_name: str, identity: str, *, timeout_s: float) -> str | None:
        """The leg's last status, waiting up to `timeout_s` for its departure webhook; None if none came."""
        key = (room_name, identity)
        if key in self._last:
            return self._last[key]
        noted = self._noted.setdefault(key, asyncio.Event())
        try:
            async with asyncio.timeout(timeout_s):
                await noted.wait()
        except TimeoutError:
            return None
        finally:
            self._noted.pop(key, None)
        return self._last.get(key)
