"""The briefing agent's read-only routes: one interview by its credential or the agent key; caller identification."""

from __future__ import annotations

from datetime import timedelta

import httpx

from dialer import credentials
from dialer.runtime import Runtime
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


async def test_briefing_by_interview_credential_or_agent_key(client: httpx.AsyncClient, auth: dict[str, str], runtime: Runtime) -> None:
    ids = await _setup(client, auth)
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


async def test_identify_by_number_and_by_pin(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    ids = await _setup(client, auth)
    known = (await client.post("/api/agent/briefing/identify", json={"phone": "(415) 555-2671"}, headers=AGENT)).json()
    assert known["interviewer"]["id"] == ids["interviewer"]
    assert [i["id"] for i in known["interviews"]] == [ids["soon"], ids["later"]]  # today's, soonest first
    unknown = (await client.post("/api/agent/briefing/identify", json={"phone": "+13125550100"}, headers=AGENT)).json()
    assert unknown == {"interviewer": None, "interviews": []}
    right = (await client.post("/api/agent/briefing/verify-pin", json={"pin": "2468"}, headers=AGENT)).json()
    assert right["interviewer"]["id"] == ids["interviewer"]
    wrong = (await client.post("/api/agent/briefing/verify-pin", json={"pin": "1111"}, headers=AGENT)).json()
    assert wrong["interviewer"] is None
    assert (await client.post("/api/agent/briefing/verify-pin", json={"pin": "12"}, headers=AGENT)).status_code == 422
    assert (await client.post("/api/agent/briefing/identify", json={"phone": "+14155552671"}, headers=auth)).status_code == 401
