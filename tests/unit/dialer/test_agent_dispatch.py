"""The dispatch contract: what the dialer builds, the agent resolves; and the module stays importable alone."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from agent.modes import BriefingJob, GapFillingJob, resolve_mode
from dialer import agent_dispatch as contract


def test_the_agent_resolves_a_phone_call_as_the_dialer_dispatches_it() -> None:
    metadata = contract.gap_filling_metadata(
        call_id="call_1", attempt_id="att_1", candidate_id="cand_1", token="tok", dialer_url="http://127.0.0.1:8000"
    )
    attributes = {**contract.gap_filling_attributes("call_1"), contract.ATTR_SIP_PHONE: "+12125550100"}
    assert resolve_mode(metadata, attributes) == GapFillingJob(
        call_id="call_1", attempt_id="att_1", candidate_id="cand_1", token="tok",
        dialer_url="http://127.0.0.1:8000", channel="sip",
    )


def test_the_agent_resolves_a_browser_briefing_and_an_inbound_caller() -> None:
    metadata = contract.briefing_metadata(interview_id="int_1", token="tok", dialer_url="http://d")
    assert resolve_mode(metadata, contract.briefing_attributes("int_1")) == BriefingJob(
        interview_id="int_1", token="tok", dialer_url="http://d", channel="web"
    )
    inbound = resolve_mode(contract.inbound_briefing_metadata(),
                           {**contract.briefing_attributes(), contract.ATTR_SIP_PHONE: "+12125550100"})
    assert isinstance(inbound, BriefingJob) and inbound.needs_identification
    assert json.loads(contract.inbound_briefing_metadata()) == {"mode": "briefing"}  # no credential for everyone


def test_names_in_livekit() -> None:
    assert contract.call_room("call_1", 2) == "call-call_1-2"
    assert contract.web_call_room("call_1") == "web-call_1"
    assert contract.interview_room("int_1") == "briefing-int_1"
    assert contract.callee_identity("call_1") == "callee-call_1"
    assert contract.is_callee("callee-call_1", {}, "call_1")
    assert contract.is_callee("sip_x", {contract.ATTR_CALL_ID: "call_1"}, "call_1")
    assert not contract.is_callee("callee-call_2", {contract.ATTR_CALL_ID: "call_2"}, "call_1")


def test_the_contract_imports_only_the_standard_library() -> None:
    """So the agent worker can import it without the dialer's database, web or LiveKit dependencies."""
    tree = ast.parse(Path(contract.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "json", "collections", "typing"}
