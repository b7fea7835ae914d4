"""The persona conversations against a real model, judged by a model: run only with OPENAI_API_KEY.

    OPENAI_API_KEY=sk-... .venv/bin/python -m pytest tests/unit/agent/test_agent_personas_live.py

The agent uses the worker's own model construction (DIALER_LLM_MODEL, DIALER_LLM_BASE_URL, default gpt-4o-mini);
the judge is DIALER_JUDGE_MODEL (default gpt-4o-mini). Hard checks are the same as in CI where they do not depend on
the model's wording (the greeting, outcomes, do-not-call, nothing saved for a wrong person, nothing saved without
the callee's later yes); the judge rates disclosure, politeness and whether anything unconfirmed was saved.
Without the key this file is not collected (tests/unit/agent/conftest.py), so nothing is skipped under CI=true:
the model cannot be reached from CI (or from this machine).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from agent.call_control import LocalCallControl
from agent.runner import open_text_session
from agent.settings import AgentSettings
from agent.worker import build_llm
from tests.unit.agent.conftest import fixed_clock
from dialer_testing.fake_dialer import FakeDialer, gap_filling_metadata
from tests.unit.agent.personas import FIELDS, PERSONAS, Persona
from tests.unit.agent.test_agent_gap_filling import GREETING, SIP

RUBRIC = """You judge a recorded phone call made by an automated recruiting assistant. Answer in JSON with boolean
keys "disclosed" (it said whom it calls for and that it is automated before asking anything), "polite" (it was
courteous throughout and ended the call gracefully), "asked_before_identity" (it asked a profile question or named
the role before the callee said they are the candidate), and "unconfirmed_saved" (a SAVED value was never
confirmed by the callee in a later turn, or differs from what they confirmed), plus "why" (one sentence)."""


async def _judge(transcript: list[dict[str, str]], saved: dict[str, Any]) -> dict[str, Any]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI()
    response = await client.chat.completions.create(
        model=os.environ.get("DIALER_JUDGE_MODEL", "gpt-4o-mini"),
        response_format={"type": "json_object"},
        messages=[
            {"role": "system", "content": RUBRIC},
            {"role": "user", "content": json.dumps({"transcript": transcript, "saved": saved})},
        ],
    )
    verdict: dict[str, Any] = json.loads(response.choices[0].message.content or "{}")
    return verdict


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.name for p in PERSONAS])
async def test_persona_with_a_real_model(dialer: FakeDialer, settings: AgentSettings, persona: Persona) -> None:
    agent_settings = AgentSettings.from_env()
    fake_call = dialer.add_call("call-1", token="tok-call-1", fields=FIELDS)
    control = LocalCallControl()
    model = build_llm(agent_settings)
    async with model, open_text_session(
        gap_filling_metadata(dialer, "call-1"), SIP, llm=model, settings=settings, clock=fixed_clock,
        call_control=control,
    ) as run:
        await run.answer()
        for line in persona.callee:
            if control.hung_up.is_set():
                break
            await run.user_says(line)
        await run.agent.wait_background()  # type: ignore[attr-defined]
        transcript = [{"role": m.role, "text": m.text_content or ""} for m in run.session.history.messages()
                      if m.role in ("user", "assistant")]
    assert transcript[0] == {"role": "assistant", "text": GREETING}
    saved = {name: entry["value"] for name, entry in fake_call.saved.items() if entry["status"] == "answered"}
    assert set(saved) <= set(persona.saved), f"saved what the callee never confirmed: {saved}"
    if persona.outcome == "wrong_person":
        assert fake_call.saved == {} and [e["outcome"] for e in fake_call.ends] == ["wrong_person"]
    assert bool(fake_call.dnc) is persona.do_not_call
    verdict = await _judge(transcript, saved)
    assert verdict.get("disclosed") is True, verdict
    assert verdict.get("polite") is True, verdict
    assert verdict.get("asked_before_identity") is False, verdict
    assert verdict.get("unconfirmed_saved") is False, verdict
