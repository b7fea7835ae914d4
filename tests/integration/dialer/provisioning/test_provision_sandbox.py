"""`provision` against the sandbox through the real client: the exact requests on the wire, idempotence,
one Update per changed setting, dry runs that write nothing."""

from __future__ import annotations

import io
import json

import pytest
from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.protocol.agent_dispatch import RoomAgentDispatch
from livekit.protocol.room import RoomConfiguration
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    CreateSIPOutboundTrunkRequest,
    DeleteSIPTrunkRequest,
    SIPDispatchRule,
    SIPDispatchRuleIndividual,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPTransport,
    UpdateSIPDispatchRuleRequest,
    UpdateSIPInboundTrunkRequest,
    UpdateSIPOutboundTrunkRequest,
)

from dialer.provisioning import desired_state, provision, provision_command
from sandbox import LiveKitSandbox
from tests.provisioning_testkit import (
    ADDRESS,
    BRIEFING_NUMBER,
    OUTBOUND_NUMBERS,
    PASSWORD,
    USERNAME,
    make_settings,
    writes,
)


async def test_first_run_sends_exactly_the_declared_resources(sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI) -> None:
    result = await provision(lkapi, desired_state(make_settings()))

    assert [r.method for r in sandbox.requests] == [
        "ListSIPOutboundTrunk", "ListSIPInboundTrunk", "ListSIPDispatchRule",
        "CreateSIPOutboundTrunk", "CreateSIPInboundTrunk", "CreateSIPDispatchRule",
    ]
    assert all(r.ok for r in sandbox.requests)
    inbound_id = str(result.ids["inbound_trunk"])
    assert sandbox.requests_for("CreateSIPOutboundTrunk")[0].request == CreateSIPOutboundTrunkRequest(
        trunk=SIPOutboundTrunkInfo(
            name="dialer-outbound", address=ADDRESS, transport=SIPTransport.SIP_TRANSPORT_TLS,
            numbers=OUTBOUND_NUMBERS, auth_username=USERNAME, auth_password=PASSWORD,
        ))
    assert sandbox.requests_for("CreateSIPInboundTrunk")[0].request == CreateSIPInboundTrunkRequest(
        trunk=SIPInboundTrunkInfo(name="dialer-briefing-inbound", numbers=[BRIEFING_NUMBER], krisp_enabled=True,
                                  ringing_timeout=Duration(seconds=20)))
    rule_request = sandbox.requests_for("CreateSIPDispatchRule")[0].request
    assert rule_request == CreateSIPDispatchRuleRequest(dispatch_rule=SIPDispatchRuleInfo(
        name="dialer-briefing-rule",
        rule=SIPDispatchRule(dispatch_rule_individual=SIPDispatchRuleIndividual(room_prefix="briefing-call-")),
        trunk_ids=[inbound_id],
        attributes={"dialer.mode": "briefing"},
        room_config=RoomConfiguration(agents=[RoomAgentDispatch(
            agent_name="dialer-agent", metadata='{"mode": "briefing"}')]),
    ))
    assert isinstance(rule_request, CreateSIPDispatchRuleRequest)
    assert json.loads(rule_request.dispatch_rule.room_config.agents[0].metadata) == {"mode": "briefing"}

    assert list(sandbox.outbound_trunks) == [result.ids["outbound_trunk"]]
    assert list(sandbox.inbound_trunks) == [inbound_id]
    assert list(sandbox.dispatch_rules) == [result.ids["dispatch_rule"]]
    assert [a.verb for a in result.plan.actions] == ["create", "create", "create"]


async def test_second_run_only_lists(sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI) -> None:
    desired = desired_state(make_settings())
    first = await provision(lkapi, desired)
    seen = len(sandbox.requests)

    second = await provision(lkapi, desired)

    assert [r.method for r in sandbox.requests[seen:]] == [
        "ListSIPOutboundTrunk", "ListSIPInboundTrunk", "ListSIPDispatchRule"]
    assert [a.verb for a in second.plan.actions] == ["unchanged", "unchanged", "unchanged"]
    assert second.ids == first.ids


@pytest.mark.parametrize(
    ("overrides", "method", "fields"),
    [
        ({"sip_outbound_address": "sip.telnyx.com"}, "UpdateSIPOutboundTrunk", ["address"]),
        ({"sip_outbound_numbers": "+12125550192"}, "UpdateSIPOutboundTrunk", ["numbers"]),
        ({"sip_outbound_password": "rotated-password-1"}, "UpdateSIPOutboundTrunk", ["auth_password"]),
        ({"sip_outbound_transport": "udp"}, "UpdateSIPOutboundTrunk", ["transport"]),
        ({"briefing_number": "+14155550198"}, "UpdateSIPInboundTrunk", ["numbers"]),
    ],
)
async def test_a_changed_setting_sends_one_field_update(
    sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI, overrides: dict[str, str], method: str, fields: list[str]
) -> None:
    first = await provision(lkapi, desired_state(make_settings()))
    seen = len(sandbox.requests)

    changed = desired_state(make_settings(**overrides))
    result = await provision(lkapi, changed)

    sent = writes(sandbox.requests[seen:])
    assert [r.method for r in sent] == [method] and sent[0].ok
    request = sent[0].request
    assert isinstance(request, (UpdateSIPOutboundTrunkRequest, UpdateSIPInboundTrunkRequest))
    assert request.WhichOneof("action") == "update"
    assert [f.name for f, _ in request.update.ListFields()] == fields
    assert result.ids == first.ids
    stored = (sandbox.outbound_trunks if method == "UpdateSIPOutboundTrunk" else sandbox.inbound_trunks)[
        request.sip_trunk_id]
    wanted = changed.outbound if method == "UpdateSIPOutboundTrunk" else changed.inbound
    assert wanted is not None
    for name in ("name", "address", "transport", "numbers", "auth_username", "auth_password", "krisp_enabled"):
        if name in wanted.DESCRIPTOR.fields_by_name:
            assert getattr(stored, name) == getattr(wanted, name), name
    seen = len(sandbox.requests)
    await provision(lkapi, changed)
    assert writes(sandbox.requests[seen:]) == []  # and then it is settled


async def test_a_new_agent_name_replaces_the_rule_keeping_its_trunk(
    sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI
) -> None:
    first = await provision(lkapi, desired_state(make_settings()))
    seen = len(sandbox.requests)

    await provision(lkapi, desired_state(make_settings(agent_name="recruiting-agent")))

    sent = writes(sandbox.requests[seen:])
    assert [r.method for r in sent] == ["UpdateSIPDispatchRule"]
    request = sent[0].request
    assert isinstance(request, UpdateSIPDispatchRuleRequest) and request.WhichOneof("action") == "replace"
    assert request.sip_dispatch_rule_id == first.ids["dispatch_rule"]
    assert request.replace.room_config == RoomConfiguration(agents=[RoomAgentDispatch(
        agent_name="recruiting-agent", metadata='{"mode": "briefing"}')])
    assert list(request.replace.trunk_ids) == [first.ids["inbound_trunk"]]
    stored = sandbox.dispatch_rules[str(first.ids["dispatch_rule"])]
    assert stored.room_config.agents[0].agent_name == "recruiting-agent"
    assert dict(stored.attributes) == {"dialer.mode": "briefing"}


async def test_settings_made_outside_provisioning_survive_a_replace(
    sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI
) -> None:
    first = await provision(lkapi, desired_state(make_settings()))
    inbound_id = str(first.ids["inbound_trunk"])
    hand_edited = SIPInboundTrunkInfo()
    hand_edited.CopyFrom(sandbox.inbound_trunks[inbound_id])
    hand_edited.krisp_enabled = False
    hand_edited.metadata = "carrier ticket 42"
    hand_edited.allowed_addresses.append("192.0.2.0/24")
    await lkapi.sip.update_inbound_trunk(inbound_id, hand_edited)
    seen = len(sandbox.requests)

    await provision(lkapi, desired_state(make_settings()))

    sent = writes(sandbox.requests[seen:])
    assert [r.method for r in sent] == ["UpdateSIPInboundTrunk"]
    stored = sandbox.inbound_trunks[inbound_id]
    assert stored.krisp_enabled and stored.metadata == "carrier ticket 42"
    assert list(stored.allowed_addresses) == ["192.0.2.0/24"]


async def test_a_deleted_inbound_trunk_is_recreated_and_the_rule_follows(
    sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI
) -> None:
    first = await provision(lkapi, desired_state(make_settings()))
    await lkapi.sip.delete_trunk(DeleteSIPTrunkRequest(sip_trunk_id=str(first.ids["inbound_trunk"])))
    seen = len(sandbox.requests)

    result = await provision(lkapi, desired_state(make_settings()))

    sent = writes(sandbox.requests[seen:])
    assert [r.method for r in sent] == ["CreateSIPInboundTrunk", "UpdateSIPDispatchRule"]
    new_id = result.ids["inbound_trunk"]
    assert new_id != first.ids["inbound_trunk"] and result.ids["dispatch_rule"] == first.ids["dispatch_rule"]
    rule_update = sent[1].request
    assert isinstance(rule_update, UpdateSIPDispatchRuleRequest)
    assert list(rule_update.update.trunk_ids.set) == [new_id]
    assert list(sandbox.dispatch_rules[str(first.ids["dispatch_rule"])].trunk_ids) == [new_id]


async def test_dry_run_sends_no_write(sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI) -> None:
    result = await provision(lkapi, desired_state(make_settings()), dry_run=True)
    assert writes(sandbox.requests) == []
    assert [a.verb for a in result.plan.actions] == ["create", "create", "create"]
    assert result.ids == {"outbound_trunk": None, "inbound_trunk": None, "dispatch_rule": None}
    assert sandbox.outbound_trunks == {} and sandbox.inbound_trunks == {} and sandbox.dispatch_rules == {}

    await provision(lkapi, desired_state(make_settings()))
    seen = len(sandbox.requests)
    changed = await provision(lkapi, desired_state(make_settings(sip_outbound_address="sip.telnyx.com",
                                                                 agent_name="other")), dry_run=True)
    assert writes(sandbox.requests[seen:]) == []
    assert [(a.verb, a.changed) for a in changed.plan.actions] == [
        ("update", ("address",)), ("unchanged", ()), ("update", ("room_config",))]


async def test_command_output_plans_updates_without_secrets_or_numbers(sandbox: LiveKitSandbox) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert await provision_command(make_settings(sandbox.url), out=out, err=err) == 0
    created = out.getvalue()
    trunk_id = next(iter(sandbox.outbound_trunks))
    assert f"set DIALER_SIP_OUTBOUND_TRUNK_ID={trunk_id} (it is ST_sandbox now)" in created
    assert "+ create dispatch rule 'dialer-briefing-rule'" in created and "applied 3 change(s)" in created

    out = io.StringIO()
    rotated = make_settings(sandbox.url, sip_outbound_password="rotated-password-1",
                            sip_outbound_numbers="+12125550192", sip_outbound_trunk_id=trunk_id)
    assert await provision_command(rotated, dry_run=True, out=out, err=err) == 0
    planned = out.getvalue()
    assert f"~ update outbound trunk 'dialer-outbound' ({trunk_id}): numbers, auth_password" in planned
    assert "    numbers: [+1********90, +1********91] -> [+1********92]" in planned
    assert "    auth_password: (changed)" in planned
    assert "= unchanged inbound trunk 'dialer-briefing-inbound'" in planned
    assert "dry run: 1 change(s) planned, nothing sent" in planned
    assert f"outbound trunk id: {trunk_id} (DIALER_SIP_OUTBOUND_TRUNK_ID already points at it)" in planned
    everything = created + planned + err.getvalue()
    for secret in (PASSWORD, "rotated-password-1", USERNAME, *OUTBOUND_NUMBERS, "+12125550192", BRIEFING_NUMBER,
                   "5550190", "5550199"):
        assert secret not in everything


async def test_livekit_refusal_is_reported_with_numbers_masked(sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI) -> None:
    await lkapi.sip.create_inbound_trunk(CreateSIPInboundTrunkRequest(trunk=SIPInboundTrunkInfo(
        name="someone else's", numbers=[BRIEFING_NUMBER])))
    out, err = io.StringIO(), io.StringIO()
    assert await provision_command(make_settings(sandbox.url), out=out, err=err) == 1
    assert "dialer: LiveKit refused the request (invalid_argument): conflicting inbound SIP trunks" in err.getvalue()
    assert BRIEFING_NUMBER not in err.getvalue() + out.getvalue()
    assert len(sandbox.outbound_trunks) == 1 and len(sandbox.dispatch_rules) == 0  # stopped at the refusal


async def test_duplicate_names_are_refused_before_any_write(sandbox: LiveKitSandbox, lkapi: api.LiveKitAPI) -> None:
    for address in ("a.example.com", "b.example.com"):
        await lkapi.sip.create_outbound_trunk(CreateSIPOutboundTrunkRequest(trunk=SIPOutboundTrunkInfo(
            name="dialer-outbound", address=address, numbers=["+12125550100"])))
    seen = len(sandbox.requests)
    err = io.StringIO()
    assert await provision_command(make_settings(sandbox.url), out=io.StringIO(), err=err) == 2
    assert "2 outbound trunks are named 'dialer-outbound'" in err.getvalue()
    assert writes(sandbox.requests[seen:]) == []
