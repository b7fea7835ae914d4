"""Webhooks: signed so WebhookReceiver verifies them, unique ids, injected time, in order, retried,
and never in the way of the Twirp answer."""

from __future__ import annotations

import asyncio

from livekit import api
from livekit.protocol.webhook import WebhookEvent

from sandbox import LiveKitSandbox
from sandbox.webhooks import encode_webhook
from tests.integration.sandbox.sandbox_testkit import (
    API_KEY,
    API_SECRET,
    START,
    FakeClock,
    SandboxFactory,
    WebhookSink,
    dial,
)


async def test_events_verify_with_webhook_receiver_and_carry_ids_and_time(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink, clock: FakeClock
) -> None:
    await dial(lkapi, "+12125550116", "r")
    clock.advance(30)
    await sandbox.hang_up("r")
    await sink.wait_for_event("room_finished", "r")

    assert [e.event for e in sink.events] == ["room_started", "participant_joined", "track_published",
                                              "track_unpublished", "participant_left", "room_finished"]
    assert sink.rejected == [] and set(sink.content_types) == {"application/webhook+json"}
    assert len({e.id for e in sink.events}) == 6 and all(e.id.startswith("EV_") for e in sink.events)
    assert [e.created_at for e in sink.events] == [int(START)] * 3 + [int(START) + 30] * 3
    assert sink.events == sandbox.webhook_events  # what arrived is exactly what the sandbox emitted


def test_signature_does_not_verify_with_another_secret() -> None:
    event = WebhookEvent(event="room_started", id="EV_x", created_at=1)
    body, token = encode_webhook(event, api_key=API_KEY, api_secret=API_SECRET)

    assert api.WebhookReceiver(api.TokenVerifier(API_KEY, API_SECRET)).receive(body, token) == event
    wrong = api.WebhookReceiver(api.TokenVerifier(API_KEY, "another-secret-0123456789abcdef0123"))
    for receiver, text in ((wrong, body), (api.WebhookReceiver(api.TokenVerifier(API_KEY, API_SECRET)), body + " ")):
        try:
            receiver.receive(text, token)
        except Exception:  # noqa: BLE001 - any verification error will do
            continue
        raise AssertionError("a tampered or wrongly signed webhook verified")


async def test_order_is_kept_per_room_across_rooms(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    for room in ("r1", "r2", "r3"):
        await dial(lkapi, "+12125550116", room)
    for room in ("r3", "r1", "r2"):
        await sandbox.hang_up(room)
    await sink.wait_for(lambda events: len([e for e in events if e.event == "room_finished"]) == 3)

    for room in ("r1", "r2", "r3"):
        assert [e.event for e in sink.events if e.room.name == room] == [
            "room_started", "participant_joined", "track_published", "track_unpublished", "participant_left",
            "room_finished",
        ]


async def test_failed_deliveries_are_retried(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink) -> None:
    sink.fail_next = 2
    await lkapi.room.create_room(api.CreateRoomRequest(name="r"))
    await sandbox.drain_webhooks()

    assert [e.event for e in sink.events] == ["room_started"]
    (delivery,) = sandbox.webhook_deliveries
    assert (delivery.attempts, delivery.delivered, delivery.status) == (3, True, 200)


async def test_a_stuck_receiver_does_not_block_the_api(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox, sink: WebhookSink
) -> None:
    sink.hold = asyncio.Event()
    await lkapi.room.create_room(api.CreateRoomRequest(name="r"))
    info = await dial(lkapi, "+12125550116", "r")  # answered while the first webhook is still in flight

    assert info.sip_call_id in sandbox.calls and sink.events == []
    sink.hold.set()
    await sink.wait_for(lambda events: len(events) == 3)
    assert [e.event for e in sink.events] == ["room_started", "participant_joined", "track_published"]


async def test_no_webhook_url_still_records_events(make_sandbox: SandboxFactory) -> None:
    sandbox = await make_sandbox(webhook_url=None)
    async with api.LiveKitAPI(sandbox.url, API_KEY, API_SECRET) as lkapi:
        await lkapi.room.create_room(api.CreateRoomRequest(name="r"))
    assert [e.event for e in sandbox.webhook_events] == ["room_started"]
    assert sandbox.webhook_deliveries == []
