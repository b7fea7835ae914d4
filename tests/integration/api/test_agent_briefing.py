"""The briefing agent's read-only routes: one interview by its credential or the agent key; caller identification."""

from __future__ import annotations

from datetime import timedelta

import httpx

from dialer import credentials
from dialer.runtime import Runtime
from dialer.store.models import VoiceSession
from tests.support import T0

AGENT = {"Authorization": "Bearer dev-agent-key"}


async def _setup(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, str]:
    cand = (await client.post("/api/candidates", json={"external_id": "c", "name": "Grace", "phone": "+12125550100", "fields": {"quota_attainment": "130%"}}, headers=auth)).json()
    ivr = (await client.post("/api/interviewers", json={"name": "Alan", "phone": "+14155552671", "pin": "2468"}, headers=auth)).json()
    ids = {"candidate": cand["id"], "interviewer": ivr["id"]}
    for key, at in (("soon", T0 + timedelta(hours=2)), ("later", T0 + timedelta(hours=5)), ("next_week", T0 + timedelta(days=7))):
        body = {"candidate_id": cand["id"], "interviewer_id": ivr["id"], "role": f"AE {key}", "scheduled_at": at.isoformat(), "resume_summary": "SaaS sales", "notes": "strong closer"}
        ids[key] = (await client.post("/api/interviews", json=body, headers=auth)).json()["id"]
    return ids


async def _open_session(runtime: Runtime, interview_id: str) -> str:
    """What POST /api/voice/token records for a browser briefing (that route needs LiveKit to create the room)."""
    room = f"briefing-{interview_id}"
    async with runtime.db.transaction() as session:
        session.add(VoiceSession(room_name=room, mode="briefing", channel="web", interview_id=interview_id, created_at=T0))
    return room


async def test_briefing_by_interview_credential_or_agent_key(client: httpx.AsyncClient, auth: dict[str, str], runtime: Runtime) -> None:
    ids = await _setup(client, auth)
    room = await _open_session(runtime, ids["soon"])
    token = credentials.issue(credentials.Scope("interview", ids["soon"]), secret=runtime.settings.secret_key, now=T0, ttl=timedelta(minutes=10))
    own = await client.get(f"/api/agent/interviews/{ids['soon']}/briefing", headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 200
    body = own.json()
    assert body["candidate"]["fields"] == {"quota_attainment": "130%"} and body["interview"]["notes"] == "strong closer"
    assert "phone" not in body["candidate"]
    other = await client.get(f"/api/agent/interviews/{ids['later']}/briefing", headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 401
    assert (await client.get(f"/api/agent/interviews/{ids['later']}/briefing", headers=AGENT)).status_code == 200
    assert (await client.get(f"/api/agent/interviews/{ids['later']}/briefing", headers=auth)).status_code == 401
    # The credential dies with its session (issue #13).
    assert await runtime.voice.session_ended(room)
    closed = await client.get(f"/api/agent/interviews/{ids['soon']}/briefing", headers={"Authorization": f"Bearer {token}"})
    assert closed.status_code == 401 and "ended" in closed.json()["detail"]


async def test_caller_id_alone_unlocks_nothing_the_pin_of_that_interviewer_does(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Caller ID is the unauthenticated SIP From header: it only says whose PIN to check (issue #13)."""
    ids = await _setup(client, auth)
    claimed = (await client.post("/api/agent/briefing/identify", json={"phone": "(415) 555-2671"}, headers=AGENT)).json()
    assert claimed == {"interviewer": None, "interviews": [], "pin_required": True}
    right = (await client.post("/api/agent/briefing/verify-pin", json={"pin": "2468", "phone": "(415) 555-2671"}, headers=AGENT)).json()
    assert right["interviewer"]["id"] == ids["interviewer"]
    assert [i["id"] for i in right["interviews"]] == [ids["soon"], ids["later"]]  # today's, soonest first
    for body in ({"pin": "2468"}, {"pin": "2468", "phone": "+13125550100"}):  # no claim, or someone else's number
        assert (await client.post("/api/agent/briefing/verify-pin", json=body, headers=AGENT)).json()["interviewer"] is None
    wrong = (await client.post("/api/agent/briefing/verify-pin", json={"pin": "1111", "phone": "+14155552671"}, headers=AGENT)).json()
    assert wrong["interviewer"] is None
    assert (await client.post("/api/agent/briefing/verify-pin", json={"pin": "12"}, headers=AGENT)).status_code == 422
    assert (await client.post("/api/agent/briefing/identify", json={"phone": "+14155552671"}, headers=auth)).status_code == 401


async def test_wrong_pins_are_limited_per_interviewer(client: httpx.AsyncClient, auth: dict[str, str], runtime: Runtime) -> None:
    await _setup(client, auth)
    attempt = {"phone": "+14155552671"}
    for guess in ("1111", "2222", "3333", "4444"):
        response = await client.post("/api/agent/briefing/verify-pin", json={**attempt, "pin": guess}, headers=AGENT)
        assert response.status_code == 200 and response.json()["interviewer"] is None
    assert (await client.post("/api/agent/briefing/verify-pin", json={**attempt, "pin": "5555"}, headers=AGENT)).status_code == 200
    locked = await client.post("/api/agent/briefing/verify-pin", json={**attempt, "pin": "2468"}, headers=AGENT)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0  # even the right PIN, now
    runtime.clock.advance(timedelta(minutes=15))  # type: ignore[attr-defined]
    again = await client.post("/api/agent/briefing/verify-pin", json={**attempt, "pin": "2468"}, headers=AGENT)
    assert again.status_code == 200 and again.json()["interviewer"] is not None


async def test_caller_id_is_believed_only_where_the_trunk_admits_the_carrier_alone(
    client: httpx.AsyncClient, auth: dict[str, str], runtime: Runtime
) -> None:
    ids = await _setup(client, auth)
    trusted = runtime.briefings.__class__(
        db=runtime.db, clock=runtime.clock, default_region="US", secret=runtime.settings.secret_key, caller_id_trusted=True
    )
    known = await trusted.identify("(415) 555-2671")
    assert known["interviewer"]["id"] == ids["interviewer"] and known["pin_required"] is False
    assert (await trusted.identify("+13125550100"))["interviewer"] is None
    from config.settings import load_settings

    assert not load_settings(api_key="k").briefing_caller_id_trusted
    assert load_settings(api_key="k", briefing_allowed_addresses="192.0.2.10").briefing_caller_id_trusted
    assert load_settings(api_key="k", briefing_sip_username="u", briefing_sip_password="p").briefing_caller_id_trusted
