"""The callee legs' last `sip.callStatus`, as LiveKit's departure webhooks report it, for the dial task that is
deciding what a ringing time-out was.

Under a ringing time-out shorter than the INVITE transaction's 32 s, a carrier that never answers the INVITE (a dead
trunk) and a phone that rang out come back from CreateSIPParticipant identically ("sip request timed out"); only the
leg's last status tells them apart (`sip_outcomes.ringing_timeout_cause`). The departure webhook and the dial's error
arrive at about the same time, in either order, so the webhook handler notes the status here and the dial task waits
for it, bounded. With several instances the webhook may reach another one than the dial task's: each status noted from
a webhook is shared (`share_through`: PostgreSQL NOTIFY on the wake-ups' connection), and every instance keeps what it
hears. A status that never arrives (the webhook lost, the listener reconnecting) leaves the dial task's reading at
"no answer" when its wait runs out.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable

from livekit.protocol.models import ParticipantInfo
from livekit.protocol.webhook import WebhookEvent

from dialer import agent_dispatch

log = logging.getLogger(__name__)

CHANNEL = "dialer_leg_status"
DEPARTURES = ("participant_left", "participant_connection_aborted")
CAPACITY = 2000  # rooms remembered; a dial task reads its room's within seconds of the departure


class LegStatuses:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._last: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._noted: dict[tuple[str, str], asyncio.Event] = {}
        self._share: Callable[[str], None] | None = None

    def share_through(self, send: Callable[[str], None]) -> None:
        """From now on every status noted from a webhook is also sent to the other instances as `send(payload)`;
        theirs come back through `heard`."""
        self._share = send

    def note_departure(self, event: WebhookEvent) -> bool:
        """Keeps a SIP participant's last call status from a departure webhook (and shares it); True if it was one."""
        participant = event.participant
        status = participant.attributes.get(agent_dispatch.ATTR_SIP_CALL_STATUS)
        if event.event not in DEPARTURES or participant.kind != ParticipantInfo.Kind.SIP or not status:
            return False
        self._note(event.room.name, participant.identity, status)
        if self._share is not None:
            self._share(json.dumps({"room": event.room.name, "identity": participant.identity, "status": status}))
        return True

    def heard(self, payload: str) -> None:
        """A status another instance noted (its `share_through` payload); a malformed one is dropped."""
        try:
            news = json.loads(payload)
            room, identity, status = news["room"], news["identity"], news["status"]
        except (ValueError, KeyError, TypeError):
            log.warning("dropped a malformed leg status notification")
            return
        if all(isinstance(value, str) and value for value in (room, identity, status)):
            self._note(room, identity, status)

    def _note(self, room_name: str, identity: str, status: str) -> None:
        key = (room_name, identity)
        self._last[key] = status
        self._last.move_to_end(key)
        while len(self._last) > self._capacity:
            self._last.popitem(last=False)
        if key in self._noted:
            self._noted[key].set()

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
