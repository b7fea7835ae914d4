"""The dialer's own maximum call duration on real LiveKit (SQLite and PostgreSQL).

livekit/sip v1.8.0's ``max_call_duration`` bounds only the dialling, so an answered call is never cut by LiveKit.
Here the dialer (its runtime in-process, time on a manual clock) places a call through the stage to a phone that
never hangs up; its duration cap leaves the call alone a second before the cap and, at the cap, deletes the room:
the phone gets LiveKit's BYE, and the call is completed with the reason in its decisions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncio

import pytest
from livekit import api, rtc

from api.app import create_app
from config.settings import Settings
from dialer.clock import ManualClock
from dialer.livekit_target import LiveKitAccess
from dialer.runtime import Runtime
from tests.stage.fixtures import create_outbound_trunk
from tests.stage.phone import SipPhone
from tests.stage.rtp_media import Silence
from tests.stage.sipp_scenario import CallScript
from tests.stage.stage import Stage
from tests.stage.voice.callee import CALL_REGIONS, daytime_prefix
from tests.support import api_client

pytestmark = pytest.mark.stage

CAP_S = 30  # the setting's floor; the manual clock spares the test the wait
CONSENT = {"source": "careers-site application", "at": "2026-11-20T14:03:00Z", "channel": "web_form"}


@pytest.fixture
def never_hangs_up(stage: Stage, tmp_path: Path) -> Iterator[tuple[SipPhone, str]]:
    number = f"{daytime_prefix()}0171"
    phone = SipPhone(tmp_path / "phone", {number: CallScript("answer", ring_s=0.5, media=(Silence(300.0),))},
                     at=stage.namespace.outer)
    phone.start()
    stage.processes.append(phone.process)
    yield phone, number
    phone.stop()


@pytest.fixture
async def runtime(stage: Stage, never_hangs_up: tuple[SipPhone, str], settings: Settings) -> AsyncIterator[Runtime]:
    phone, _number = never_hangs_up
    trunk_id = await create_outbound_trunk(stage, phone.address, "never hangs up")
    tuned = settings.model_copy(update={
        "livekit_url": stage.url, "livekit_api_key": stage.api_key, "livekit_api_secret": stage.api_secret,
        "sip_outbound_trunk_id": trunk_id, "max_call_duration_s": CAP_S, "calls_per_second": 5.0,
        "call_window_start": "00:00", "call_window_end": "23:59", "call_weekdays": [0, 1, 2, 3, 4, 5, 6],
        "call_regions": CALL_REGIONS.split(","), "holidays": [],
    })
    running = Runtime.build(tuned, clock=ManualClock(datetime.now(timezone.utc)),
                            livekit=LiveKitAccess(stage.url, stage.api_key, stage.api_secret))
    yield running
    await running.dispatcher.stop()
    await running.stop()


async def _agent_joins_the_calls_room(stage: Stage, call_id: str) -> rtc.Room:
    """Stands in for the agent worker (none runs in this test): a participant with the agent grant joins the call's
    room as soon as the dialer has created it, so the dialer's wait for the agent is met."""
    key, secret = stage.api_key, stage.api_secret
    room_name = f"call-{call_id}-1"
    async with api.LiveKitAPI(stage.url, key, secret) as lk:
        for _ in range(200):
            if (await lk.room.list_rooms(api.ListRoomsRequest(names=[room_name]))).rooms:
                break
            await asyncio.sleep(0.05)
    token = (api.AccessToken(key, secret).with_identity("agent-standin").with_kind("agent")
             .with_grants(api.VideoGrants(room_join=True, room=room_name, agent=True)).to_jwt())
    room = rtc.Room()
    await room.connect(stage.ws_url, token)
    return room


async def test_a_phone_that_never_hangs_up_is_hung_up_at_the_dialers_cap(
    runtime: Runtime, never_hangs_up: tuple[SipPhone, str], stage: Stage,
) -> None:
    phone, number = never_hangs_up
    clock = runtime.clock
    assert isinstance(clock, ManualClock)
    async with api_client(create_app(runtime, manage_runtime=False)) as http:
        http.headers["Authorization"] = f"Bearer {runtime.settings.api_key}"
        candidate = await http.post("/api/candidates", json={"external_id": "cap-1", "name": "Ada", "phone": number,
                                                             "required_fields": ["start_date"], "consent": CONSENT})
        assert candidate.status_code == 201, candidate.text
        call = await http.post("/api/calls", json={"candidate_id": candidate.json()["id"], "company": "Acme Corp",
                                                   "callback_number": "+14155550123"})
        assert call.status_code in (200, 201), call.text
        await runtime.dispatcher.run_once()
        agent = await _agent_joins_the_calls_room(stage, call.json()["id"])  # the dialer rings only then
        await runtime.dispatcher.drain()
        answered = await phone.await_event("ANSWERED", callee=number, timeout_s=30)
        assert (await http.get(f"/api/calls/{call.json()['id']}")).json()["state"] == "in_call"

        clock.advance(timedelta(seconds=CAP_S - 1))
        assert await runtime.duration_cap.run_once() == 0
        assert [e.event for e in phone.events_of(answered.call_id)][-1] == "ANSWERED"

        clock.advance(timedelta(seconds=1))
        assert await runtime.duration_cap.run_once() == 1
        await phone.await_event("BYE_RECEIVED", call_id=answered.call_id, timeout_s=15)
        ended = (await http.get(f"/api/calls/{call.json()['id']}")).json()
    await agent.disconnect()
    assert ended["state"] == "scheduled", ended  # answered, nothing saved: retried (issue 12, item 14)
    assert ended["attempts"][0]["outcome"] == "nothing_collected"
    capped = [d for d in ended["decisions"] if d["code"] == "max_duration"]
    assert len(capped) == 1 and f"{CAP_S} s" in capped[0]["reason"], ended["decisions"]
