"""Consent and state rules in the dispatcher's decision, end to end over the wire (SQLite and PostgreSQL).

T0 is Wednesday 2026-12-02 15:00 UTC: 10:00 in New York and Florida.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.settings import Settings
from dialer import credentials
from dialer.clock import ManualClock
from tests.stack import Stack, running_stack

NY_ANSWERS = "+12125550116"
FLORIDA_BUSY = "+13055550110"  # 305: Florida, which allows three calls per 24 hours on the same subject
CONSENT = {"source": "careers-site application", "at": "2026-11-20T14:03:00Z", "channel": "web_form"}


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "require_consent": True})
    async with running_stack(tuned, clock) as s:
        yield s


async def _candidate(stack: Stack, external_id: str, phone: str, **extra: object) -> str:
    body = {"external_id": external_id, "name": "Ada Lovelace", "phone": phone, "required_fields": ["start_date"],
            **extra}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _batch(stack: Stack, *candidate_ids: str, max_attempts: int = 3) -> dict[str, dict[str, object]]:
    created = await stack.http.post("/api/batches", json={"candidate_ids": list(candidate_ids),
                                                          "max_attempts": max_attempts})
    assert created.status_code == 201, created.text
    await stack.dispatch()
    return await _calls(stack, created.json()["id"])


async def _calls(stack: Stack, batch_id: str) -> dict[str, dict[str, object]]:
    response = await stack.http.get("/api/calls", params={"batch_id": batch_id})
    return {c["candidate_id"]: c for c in response.json()["items"]}


async def test_no_consent_no_dial_and_the_trail_says_why(stack: Stack) -> None:
    without = await _candidate(stack, "without", NY_ANSWERS)
    with_consent = await _candidate(stack, "with", NY_ANSWERS.replace("0116", "0105"), consent=CONSENT)
    calls = await _batch(stack, without, with_consent)
    assert stack.dialled_numbers() == [NY_ANSWERS.replace("0116", "0105")]
    refused = calls[without]
    assert refused["state"] == "failed" and refused["attempts"] == []
    decision = refused["decisions"][-1]
    assert decision["code"] == "no_consent" and "47 U.S.C. § 227(b)(1)" in decision["reason"]
    assert calls[with_consent]["state"] == "in_call"


async def test_consent_round_trips_through_the_api(stack: Stack) -> None:
    cid = await _candidate(stack, "ada", NY_ANSWERS, consent=CONSENT, state="florida")
    body = (await stack.http.get(f"/api/candidates/{cid}")).json()
    assert body["state"] == "FL"
    assert body["consent"] == {"source": CONSENT["source"], "at": "2026-11-20T14:03:00Z", "channel": "web_form",
                               "withdrawn_at": None, "given": True}


@pytest.mark.parametrize(
    ("extra", "loc", "message"),
    [
        ({"state": "Narnia"}, ["state"], "unknown US state"),
        ({"consent": {**CONSENT, "at": "2026-11-20T14:03:00"}}, ["consent", "at"], "offset"),
        ({"consent": {"source": "form", "at": "2026-11-20T14:03:00Z"}}, ["consent", "channel"], "required"),
    ],
)
async def test_bad_state_or_consent_is_a_422_naming_the_field(
    stack: Stack, extra: dict[str, object], loc: list[str], message: str
) -> None:
    body = {"external_id": "x", "name": "X", "phone": NY_ANSWERS, **extra}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["loc"][-len(loc):] == loc and message.lower() in e["message"].lower() for e in errors), errors


async def test_florida_allows_three_calls_in_24_hours(stack: Stack) -> None:
    cid = await _candidate(stack, "fl", FLORIDA_BUSY, consent=CONSENT)
    created = await stack.http.post("/api/batches", json={"candidate_ids": [cid], "max_attempts": 6})
    batch_id = created.json()["id"]
    for _ in range(3):  # busy: retried after 15 minutes
        await stack.dispatch()
        stack.clock.advance(timedelta(minutes=15))
    await stack.dispatch()
    call = (await _calls(stack, batch_id))[cid]
    assert len(stack.dialled_numbers()) == 3 and len(call["attempts"]) == 3  # type: ignore[arg-type]
    decision = call["decisions"][-1]  # type: ignore[index]
    assert decision["code"] == "state_daily_cap" and "§ 501.616(6)(b)" in decision["reason"]
    assert call["state"] == "scheduled"
    assert call["next_attempt_at"] == "2026-12-03T15:00:00Z"  # 24 hours after the first of the three


async def test_a_callback_is_booked_only_inside_the_state_hours(stack: Stack) -> None:
    """Kentucky's calls start at 10:00: a callback at 09:30 local is refused, one at 10:30 booked."""
    cid = await _candidate(stack, "ky", "+15025550116", consent=CONSENT, state="KY")
    created = await stack.http.post("/api/batches", json={"candidate_ids": [cid]})
    await stack.dispatch()
    call = (await _calls(stack, created.json()["id"]))[cid]
    token = credentials.issue(credentials.Scope("call", str(call["id"])), secret=stack.runtime.settings.secret_key,
                              now=stack.clock.now(), ttl=timedelta(hours=1))
    url = f"/api/agent/calls/{call['id']}/callback"
    auth = {"Authorization": f"Bearer {token}"}
    early = await stack.http.post(url, json={"at_local": "2026-12-03T09:30"}, headers=auth)
    assert early.status_code == 422 and "10:00-20:00" in early.json()["detail"]
    ok = await stack.http.post(url, json={"at_local": "2026-12-03T10:30"}, headers=auth)
    assert ok.status_code == 200, ok.text
