"""The README's "Try it" on `dialer serve` as a newcomer runs it: no key, no LiveKit, the embedded defaults. Within two
minutes the sandbox's cooperative candidate answers, the agent collects the missing field (`missing_fields`
shrinks) and the transcript is kept. The service is a real `dialer serve` process, so its clock is the real one: the
test picks a reserved number in a zone where it is daytime now (weekends allowed for the run)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import phonenumbers
import phonenumbers.timezone
import pytest

from tests.served_dialer import dialer_serve

ROOT = Path(__file__).resolve().parents[3]
KEY = {"Authorization": "Bearer dev-api-key"}  # the README's: the development default
# The README's 555-0100 (a cooperative candidate) in zones around the world: one of them is in daytime at any hour.
DAYTIME_NUMBERS = ("+442079460100", "+12125550100", "+13125550100", "+12135550100", "+19075550100", "+18085550100",
                   "+16715550100")  # London, New York, Chicago, Los Angeles, Alaska, Hawaii, Guam
TWO_MINUTES_S = 120.0


def daytime_number(now: datetime) -> str:
    """A reserved cooperative number whose every zone is between 08:30 and 20:29 now (inside 08:00-21:00)."""
    for number in DAYTIME_NUMBERS:
        zones = phonenumbers.timezone.time_zones_for_number(phonenumbers.parse(number))
        local = [now.astimezone(ZoneInfo(zone)) for zone in zones]
        if all(8 * 60 + 30 <= at.hour * 60 + at.minute < 20 * 60 + 30 for at in local):
            return number
    raise AssertionError(f"no zone in daytime at {now.isoformat()}")  # cannot happen: the zones span 24 hours


def test_some_zone_is_in_daytime_at_every_hour() -> None:
    for minute in range(0, 24 * 60, 10):
        assert daytime_number(datetime(2026, 12, 2, minute // 60, minute % 60, tzinfo=timezone.utc))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DIALER_", "LIVEKIT_")) and key not in ("OPENAI_API_KEY",)}
    env.update({
        "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}",
        "DIALER_SANDBOX_PORT": "0",
        "DIALER_CALL_WEEKDAYS": "0,1,2,3,4,5,6", "DIALER_CALL_WINDOW_START": "08:00", "DIALER_CALL_WINDOW_END": "21:00",
        "DIALER_CALL_REGIONS": "US,GB,GU",
    })
    with dialer_serve(env, cwd=tmp_path, log_path=tmp_path / "serve.log") as service:
        yield service.base
    assert "Traceback" not in service.log(), service.log()[-4000:]


def test_try_it_shows_a_simulated_candidate_filling_a_field_within_two_minutes(served: str) -> None:
    started = time.monotonic()
    phone = daytime_number(datetime.now(timezone.utc))
    with httpx.Client(base_url=served, headers=KEY, timeout=10) as http:
        created = http.post("/api/candidates", json={
            "external_id": "ats-123", "name": "Ada Lovelace", "phone": phone,
            "fields": {"quota_attainment": "112%"}, "required_fields": ["quota_attainment", "start_date"],
            "consent": {"source": "careers-site application", "at": "2026-11-20T14:03:00Z", "channel": "web_form"}})
        assert created.status_code == 201, created.text
        candidate = created.json()
        assert candidate["missing_fields"] == ["start_date"]
        batch = http.post("/api/batches", json={
            "candidate_ids": [candidate["id"]], "company": "Acme Corp", "role": "Account Executive",
            "recruiter_name": "Jordan Lee", "callback_number": "+14155550123"})
        assert batch.status_code == 201, batch.text

        after = candidate
        while after["missing_fields"] and time.monotonic() - started < TWO_MINUTES_S:
            time.sleep(0.2)  # polling the service as the README's reader does; no signal crosses the process
            after = http.get(f"/api/candidates/{candidate['id']}").json()
        elapsed = time.monotonic() - started
        print(f"try it: missing_fields empty after {elapsed:.1f} s")
        assert after["missing_fields"] == [], http.get("/api/calls", params={"batch_id": batch.json()["id"]}).text
        assert after["fields"]["start_date"] > "2026"

        # The field is saved mid-call; the attempt's outcome only once the agent has ended the call.
        (call,) = http.get("/api/calls", params={"batch_id": batch.json()["id"]}).json()["items"]
        while call["attempts"][0]["outcome"] is None and time.monotonic() - started < TWO_MINUTES_S:
            time.sleep(0.2)
            (call,) = http.get("/api/calls", params={"batch_id": batch.json()["id"]}).json()["items"]
        assert [f["name"] for f in call["collected_fields"]] == ["start_date"]
        assert call["attempts"][0]["outcome"] == "answered" and call["attempts"][0]["simulated"] is True
        record = http.get(f"/api/calls/{call['id']}/transcript").json()
        said = [(turn["role"], turn["text"]) for turn in record["turns"]]
        assert said[0][0] == "agent" and "Jordan Lee at Acme Corp" in said[0][1]
        assert ("callee", "In two weeks") in said
        assert [(f["name"], f["source_text"]) for f in record["collected_fields"]] == [("start_date", "In two weeks")]
