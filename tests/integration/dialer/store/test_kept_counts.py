"""The kept calls-by-state counts (dialer/lifecycle/counts.py) equal a recount of the calls table after a
mixed workload through the whole dialer: batches and single calls, dials, busy retries, an invalid number that
fails, answered calls, a batch cancelled while one of its calls is live, a resumed batch, a do-not-call hang-up and a
browser call, with the counts' rows folded at each step (`completed` is reached by the same one move function as every state here). Calls are never deleted by the product, so no deletes here. On SQLite and PostgreSQL; the migration's
backfill is checked too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from livekit.protocol.models import ParticipantInfo, Room
from livekit.protocol.webhook import WebhookEvent
from sqlalchemy import func, select, text

from config.settings import Settings
from dialer.clock import ManualClock
from dialer.lifecycle import counts
from dialer.store.db import Database
from dialer.store.migrate import downgrade, upgrade
from dialer.store.models import CallCount
from sandbox.webhooks import CONTENT_TYPE, encode_webhook
from tests.stack import Stack, running_stack

BUSY = "+13125550110"
INVALID = "+13125550113"
ANSWERS = "+12125550116"  # answers at once, never hangs up by itself
DECLINES = "+12125550112"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings.model_copy(update={"calls_per_second": 100.0}), clock) as s:
        yield s


async def _candidate(stack: Stack, key: str, phone: str) -> str:
    body = {"external_id": key, "name": "Ada", "phone": phone, "required_fields": ["start_date"]}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _batch(stack: Stack, candidate_ids: list[str]) -> str:
    response = await stack.http.post("/api/batches", json={"candidate_ids": candidate_ids})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _assert_kept_equal_recount(db: Database) -> dict[str, int]:
    """Before and after a fold (the reconciler's, which turns the rows written so far into one per state)."""
    async with db.transaction() as session:
        kept, recounted = await counts.by_state(session), await counts.recount(session)
    assert kept == recounted
    async with db.transaction() as session:
        await counts.fold(session)
    async with db.transaction() as session:
        assert await counts.by_state(session) == recounted
        assert await session.scalar(select(func.count()).select_from(CallCount)) == len(recounted)
    return kept


async def _join_browser(stack: Stack) -> None:
    candidate = await _candidate(stack, "web", ANSWERS)
    token = await stack.http.post("/api/voice/token", json={"mode": "gap_filling", "candidate_id": candidate, "user_name": "G"})
    assert token.status_code == 200, token.text
    room = token.json()["room_name"]
    call_id = room.removeprefix("web-")
    participant = ParticipantInfo(identity="web-g", kind=ParticipantInfo.Kind.STANDARD,
                                  attributes={"dialer.mode": "gap_filling", "dialer.call_id": call_id})
    event = WebhookEvent(event="participant_joined", id="EV_join_web", created_at=int(stack.clock.now().timestamp()),
                         room=Room(name=room), participant=participant)
    lk = stack.runtime.livekit
    body, auth = encode_webhook(event, api_key=lk.api_key, api_secret=lk.api_secret)
    response = await stack.http.post("/api/livekit/webhook", content=body,
                                     headers={"Authorization": auth, "Content-Type": CONTENT_TYPE})
    assert response.status_code == 200 and response.json()["result"] == "applied", response.text


async def test_kept_counts_equal_a_recount_after_a_mixed_workload(stack: Stack, clock: ManualClock) -> None:
    db = stack.runtime.db
    await _batch(stack, [await _candidate(stack, "b", BUSY), await _candidate(stack, "i", INVALID),
                                 await _candidate(stack, "a", ANSWERS)])
    second = await _batch(stack, [await _candidate(stack, "a2", ANSWERS), await _candidate(stack, "d", DECLINES),
                                  await _candidate(stack, "b2", BUSY)])
    single = await stack.http.post("/api/calls", json={"candidate_id": await _candidate(stack, "s", BUSY)})
    assert single.status_code == 201, single.text
    assert await _assert_kept_equal_recount(db) == {"scheduled": 7}

    await stack.http.post(f"/api/batches/{second}/pause")
    await stack.dispatch()  # the first batch and the single call: busy (retry), invalid (failed), answered (in_call)
    await _assert_kept_equal_recount(db)
    await stack.http.post(f"/api/batches/{second}/resume")
    await stack.dispatch()  # the second batch dials: one answers, one declines after ringing, one is busy
    await _assert_kept_equal_recount(db)

    # The second batch is cancelled with its answered call live: the scheduled retries cancelled in one statement,
    # the live call cancelled once it ends.
    cancel = await stack.http.post(f"/api/batches/{second}/cancel")
    assert cancel.status_code == 200, cancel.text
    await _assert_kept_equal_recount(db)
    for call in (await stack.http.get("/api/calls", params={"batch_id": second})).json()["items"]:
        if call["state"] == "in_call":
            await stack.hang_up(str(call["room_name"]))
    await _assert_kept_equal_recount(db)

    # Retries: the busy calls are due again in 15 minutes and dialled again (attempt 2), until none is left.
    for _ in range(3):
        clock.advance(timedelta(minutes=16))
        await stack.dispatch()
        await _assert_kept_equal_recount(db)

    # Do-not-call hangs up the first batch's live call; then a browser call is joined (in_call from its first row).
    dnc = await stack.http.post("/api/dnc", json={"phone": ANSWERS})
    assert dnc.status_code == 201, dnc.text
    await stack.sandbox.drain_webhooks()
    await _join_browser(stack)
    kept = await _assert_kept_equal_recount(db)
    assert sum(kept.values()) == 8 and set(kept) == {"failed", "cancelled", "in_call"}, kept


async def test_the_migration_backfills_the_counts(database: Database) -> None:
    await downgrade(database, "0006")
    async with database.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO candidates (id, external_id, name, phone, fields, required_fields, created_at, updated_at) "
            "VALUES ('cand_1', 'x', 'X', '+13125550110', '{}', '[]', '2026-01-01', '2026-01-01')"
        ))
        await conn.execute(text(
            "INSERT INTO batches (id, status, max_attempts, created_at, updated_at) "
            "VALUES ('batch_1', 'active', 3, '2026-01-01', '2026-01-01')"
        ))
        for i, (batch, state) in enumerate([("batch_1", "scheduled"), ("batch_1", "scheduled"), ("batch_1", "failed"),
                                            (None, "in_call"), (None, "completed")]):
            await conn.execute(
                text("INSERT INTO calls (id, batch_id, candidate_id, trunk_id, state, fields_to_ask, max_attempts, "
                     "attempts_made, source, created_at, updated_at) VALUES (:id, :batch, 'cand_1', 't', :state, '[]', "
                     "3, 0, 'api', '2026-01-01', '2026-01-01')"),
                {"id": f"call_{i}", "batch": batch, "state": state},
            )
    await upgrade(database)
    kept = await _assert_kept_equal_recount(database)
    assert kept == {"scheduled": 2, "failed": 1, "in_call": 1, "completed": 1}
