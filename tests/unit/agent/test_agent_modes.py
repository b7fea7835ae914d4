"""Mode resolution from dispatch metadata + participant attributes (table-driven)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from agent.modes import BriefingJob, GapFillingJob, ModeError, resolve_mode

GAP = {"mode": "gap_filling", "call_id": "c1", "attempt_id": "a1", "candidate_id": "k1", "token": "secret-tok",
       "dialer_url": "http://127.0.0.1:8000"}
BRIEF = {"mode": "briefing", "interview_id": "i1", "token": "secret-tok", "dialer_url": "http://127.0.0.1:8000"}
SIP = {"sip.callStatus": "active", "sip.phoneNumber": "+15550123"}


def meta(base: Mapping[str, object], **changes: object) -> str:
    merged = {**base, **changes}
    return json.dumps({k: v for k, v in merged.items() if v is not None})


GOOD = [
    ("gap-sip", meta(GAP), {**SIP, "dialer.mode": "gap_filling", "dialer.call_id": "c1"},
     GapFillingJob("c1", "a1", "k1", "secret-tok", "http://127.0.0.1:8000", "sip")),
    ("gap-web", meta(GAP), {"dialer.mode": "gap_filling"},
     GapFillingJob("c1", "a1", "k1", "secret-tok", "http://127.0.0.1:8000", "web")),
    ("gap-no-attributes", meta(GAP, attempt_id=None), {},
     GapFillingJob("c1", None, "k1", "secret-tok", "http://127.0.0.1:8000", "web")),
    ("briefing-web", meta(BRIEF), {"dialer.mode": "briefing", "dialer.interview_id": "i1"},
     BriefingJob("i1", "secret-tok", "http://127.0.0.1:8000", "web")),
    ("briefing-inbound-sip", json.dumps({"mode": "briefing"}), SIP,
     BriefingJob(None, None, None, "sip", caller_phone="+15550123")),
    ("briefing-inbound-sip-withheld-number", json.dumps({"mode": "briefing"}), {"sip.callStatus": "active"},
     BriefingJob(None, None, None, "sip", caller_phone=None)),
]


@pytest.mark.parametrize(("metadata", "attributes", "expected"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good(metadata: str, attributes: dict[str, str], expected: object) -> None:
    assert resolve_mode(metadata, attributes) == expected


BAD = [
    ("missing", "", {}, "metadata is missing"),
    ("none", None, {}, "metadata is missing"),
    ("not-json", "{mode: gap", {}, "not valid JSON"),
    ("not-an-object", '["gap_filling"]', {}, "not a JSON object"),
    ("no-mode", json.dumps({"call_id": "c1"}), {}, "no known mode"),
    ("unknown-mode", meta(GAP, mode="sales_pitch"), {}, "no known mode"),
    ("gap-without-call", meta(GAP, call_id=None), {}, "no call_id"),
    ("gap-without-token", meta(GAP, token=None), {}, "no token"),
    ("mode-contradicts", meta(GAP), {"dialer.mode": "briefing"}, "contradictory mode"),
    ("call-ids-differ", meta(GAP), {"dialer.call_id": "c2"}, "contradictory call ids"),
    ("gap-but-interview", meta(GAP), {"dialer.interview_id": "i1"}, "participant names an interview"),
    ("briefing-but-call", meta(BRIEF), {"dialer.call_id": "c1"}, "participant names a call"),
    ("interview-ids-differ", meta(BRIEF), {"dialer.interview_id": "i2"}, "contradictory interview ids"),
    ("briefing-without-token", meta(BRIEF, token=None), {}, "no token"),
    ("web-briefing-without-interview", json.dumps({"mode": "briefing"}), {}, "not a phone caller"),
    ("interview-only-in-attributes", json.dumps({"mode": "briefing"}), {**SIP, "dialer.interview_id": "i1"},
     "dispatch does not carry"),
]


@pytest.mark.parametrize(("metadata", "attributes", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused(metadata: str | None, attributes: dict[str, str], reason: str) -> None:
    result = resolve_mode(metadata, attributes)
    assert isinstance(result, ModeError)
    assert reason in result.reason


def test_reasons_and_reprs_never_carry_secrets_or_numbers() -> None:
    for _, metadata, attributes, _ in BAD:
        result = resolve_mode(metadata, {**attributes, "sip.phoneNumber": "+15550123"})
        assert "secret-tok" not in str(result) and "5550123" not in str(result)
    for _, metadata, attributes, _ in GOOD:
        shown = repr(resolve_mode(metadata, attributes))
        assert "secret-tok" not in shown and "5550123" not in shown
