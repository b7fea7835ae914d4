"""Simulated conversations, one per scripted callee persona, checked on what was said and what was saved.

In CI the model is scripted too (tests/unit/agent/personas.py), so these check the agent's own rules around any
model: the greeting's disclosure, nothing asked or saved before the callee said who they are, nothing saved without
their later yes, and each ending's outcome. The same personas run against a real model in
test_agent_personas_live.py.
"""

from __future__ import annotations

import asyncio

import pytest

from agent.call_control import LocalCallControl
from agent.settings import AgentSettings
from dialer_testing.fake_dialer import FakeDialer
from tests.unit.agent.personas import FIELDS, PERSONAS, Persona
from tests.unit.agent.test_agent_gap_filling import GREETING, gap_call, said

GREETING_DISCLOSES = ("automated assistant", "on behalf of Jordan Lee at Acme Corp", "transcribed")


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.name for p in PERSONAS])
async def test_persona(dialer: FakeDialer, settings: AgentSettings, persona: Persona) -> None:
    control = LocalCallControl()
    async with gap_call(dialer, settings, persona.script, fields=FIELDS, control=control, identified=False) as (
        run, fake_call, model,
    ):
        for line in persona.callee:
            if control.hung_up.is_set():
                break
            await run.user_says(line)
        await run.agent.wait_background()  # type: ignore[attr-defined]
        lines = said(run)
        assert model.remaining == 0, f"{persona.name}: the model was asked less than scripted"
    assert lines[0] == GREETING and all(part in GREETING for part in GREETING_DISCLOSES)
    transcript = " ".join(lines)
    for expected in persona.said:
        assert expected in transcript, f"{persona.name}: never said {expected!r}"
    for forbidden in persona.never_said:
        assert forbidden not in transcript, f"{persona.name}: said {forbidden!r}"
    saved = {name: entry["value"] for name, entry in fake_call.saved.items() if entry["status"] == "answered"}
    assert saved == persona.saved
    outcomes = [end["outcome"] for end in fake_call.ends]
    assert outcomes == ([persona.outcome] if persona.outcome else ["answered"])  # None: the session close reports
    assert bool(fake_call.dnc) is persona.do_not_call
    assert fake_call.callbacks == persona.callbacks
    if persona.outcome == "wrong_person":
        assert fake_call.saved == {} and control.hang_ups == 1
