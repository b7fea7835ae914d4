"""The pure planner, table-driven: desired vs existing → verbs, differing fields and the exact request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from livekit.protocol.room import RoomConfiguration
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    CreateSIPOutboundTrunkRequest,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPTransport,
    UpdateSIPDispatchRuleRequest,
    UpdateSIPInboundTrunkRequest,
    UpdateSIPOutboundTrunkRequest,
)

from dialer.provisioning import DesiredState, ExistingState, ProvisioningError, desired_state, plan_provisioning
from dialer.provisioning.plan import PENDING_INBOUND_TRUNK_ID, bind_pending_trunk
from tests.provisioning_testkit import make_settings

DESIRED = desired_state(make_settings())


def _copy(message: Message) -> Message:
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


@dataclass
class Live:
    """What a LiveKit that already matches DESIRED lists (ids, timestamps, an unmanaged field set)."""

    outbound: SIPOutboundTrunkInfo
    inbound: SIPInboundTrunkInfo
    rule: SIPDispatchRuleInfo
    extra: list[Message]

    def state(self) -> ExistingState:
        extra_out = [m for m in self.extra if isinstance(m, SIPOutboundTrunkInfo)]
        extra_in = [m for m in self.extra if isinstance(m, SIPInboundTrunkInfo)]
        extra_rules = [m for m in self.extra if isinstance(m, SIPDispatchRuleInfo)]
        return ExistingState(
            outbound=[m for m in (self.outbound,) if m.name] + extra_out,
            inbound=[m for m in (self.inbound,) if m.name] + extra_in,
            rules=[m for m in (self.rule,) if m.name] + extra_rules,
        )


def live() -> Live:
    assert DESIRED.outbound and DESIRED.inbound and DESIRED.rule
    outbound, inbound, rule = _copy(DESIRED.outbound), _copy(DESIRED.inbound), _copy(DESIRED.rule)
    assert isinstance(outbound, SIPOutboundTrunkInfo) and isinstance(inbound, SIPInboundTrunkInfo)
    assert isinstance(rule, SIPDispatchRuleInfo)
    outbound.sip_trunk_id, inbound.sip_trunk_id, rule.sip_dispatch_rule_id = "ST_out", "ST_in", "SDR_rule"
    rule.trunk_ids.append("ST_in")
    for item in (outbound, inbound, rule):
        item.created_at.FromSeconds(1_700_000_000)
        item.updated_at.FromSeconds(1_700_000_100)
    outbound.destination_country = "US"  # set outside provisioning: never a difference
    inbound.metadata = "ops note"
    rule.hide_phone_number = False
    return Live(outbound, inbound, rule, [])


def _unname(*items: Message) -> None:
    for item in items:
        setattr(item, "name", "")


def _set_agent(rule: SIPDispatchRuleInfo, name: str) -> None:
    rule.room_config.agents[0].agent_name = name


@dataclass(frozen=True)
class Case:
    id: str
    change: Callable[[Live], None]
    verbs: tuple[str, str, str]  # outbound, inbound, rule
    changed: dict[str, tuple[str, ...]]  # kind → differing fields, for the updates


CASES = [
    Case("matches", lambda l: None, ("unchanged", "unchanged", "unchanged"), {}),
    Case("nothing exists", lambda l: _unname(l.outbound, l.inbound, l.rule), ("create", "create", "create"), {}),
    Case("address", lambda l: setattr(l.outbound, "address", "sip.old.example"),
         ("update", "unchanged", "unchanged"), {"outbound_trunk": ("address",)}),
    Case("caller ids reordered", lambda l: l.outbound.numbers.reverse(),
         ("update", "unchanged", "unchanged"), {"outbound_trunk": ("numbers",)}),
    Case("password and transport", lambda l: l.outbound.MergeFrom(
        SIPOutboundTrunkInfo(auth_password="old", transport=SIPTransport.SIP_TRANSPORT_UDP)),
         ("update", "unchanged", "unchanged"), {"outbound_trunk": ("transport", "auth_password")}),
    Case("krisp turned off", lambda l: setattr(l.inbound, "krisp_enabled", False),
         ("unchanged", "update", "unchanged"), {"inbound_trunk": ("krisp_enabled",)}),
    Case("briefing number", lambda l: l.inbound.numbers.append("+14155550198"),
         ("unchanged", "update", "unchanged"), {"inbound_trunk": ("numbers",)}),
    Case("extra attribute", lambda l: l.rule.attributes.update({"extra": "x"}),
         ("unchanged", "unchanged", "update"), {"dispatch_rule": ("attributes",)}),
    Case("agent renamed", lambda l: _set_agent(l.rule, "old-agent"),
         ("unchanged", "unchanged", "update"), {"dispatch_rule": ("room_config",)}),
    Case("no room config", lambda l: l.rule.ClearField("room_config"),
         ("unchanged", "unchanged", "update"), {"dispatch_rule": ("room_config",)}),
    Case("rule on another trunk", lambda l: l.rule.trunk_ids.__setitem__(0, "ST_other"),
         ("unchanged", "unchanged", "update"), {"dispatch_rule": ("trunk_ids",)}),
    Case("inbound trunk deleted", lambda l: setattr(l.inbound, "name", ""),
         ("unchanged", "create", "update"), {"dispatch_rule": ("trunk_ids",)}),
    Case("others' resources", lambda l: l.extra.extend([
        SIPOutboundTrunkInfo(sip_trunk_id="ST_x", name="other", address="a", numbers=["+12125550100"]),
        SIPInboundTrunkInfo(sip_trunk_id="ST_y", name="other", numbers=["+12125550101"]),
        SIPDispatchRuleInfo(sip_dispatch_rule_id="SDR_z", name="other", trunk_ids=["ST_y"]),
    ]), ("unchanged", "unchanged", "unchanged"), {}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plan(case: Case) -> None:
    state = live()
    case.change(state)
    plan = plan_provisioning(DESIRED, state.state())
    assert [a.kind for a in plan.actions] == ["outbound_trunk", "inbound_trunk", "dispatch_rule"]
    assert tuple(a.verb for a in plan.actions) == case.verbs
    assert {a.kind: a.changed for a in plan.actions if a.verb == "update"} == case.changed
    for action in plan.actions:
        assert (action.request is None) == (action.verb == "unchanged")


def test_create_requests_carry_the_desired_objects_and_a_pending_trunk() -> None:
    plan = plan_provisioning(DESIRED, ExistingState())
    outbound, inbound, rule = (a.request for a in plan.actions)
    assert outbound == CreateSIPOutboundTrunkRequest(trunk=DESIRED.outbound)
    assert inbound == CreateSIPInboundTrunkRequest(trunk=DESIRED.inbound)
    assert isinstance(rule, CreateSIPDispatchRuleRequest)
    assert list(rule.dispatch_rule.trunk_ids) == [PENDING_INBOUND_TRUNK_ID]
    assert bind_pending_trunk(rule, "ST_new").dispatch_rule.trunk_ids == ["ST_new"]  # type: ignore[attr-defined]
    assert list(rule.dispatch_rule.trunk_ids) == [PENDING_INBOUND_TRUNK_ID]  # bound on a copy


def test_diffable_changes_become_a_field_update_with_only_those_fields() -> None:
    state = live()
    state.outbound.address = "sip.old.example"
    state.outbound.auth_password = "old"
    request = plan_provisioning(DESIRED, state.state()).actions[0].request
    assert isinstance(request, UpdateSIPOutboundTrunkRequest) and request.sip_trunk_id == "ST_out"
    assert request.WhichOneof("action") == "update"
    assert [f.name for f, _ in request.update.ListFields()] == ["address", "auth_password"]
    assert (request.update.address, request.update.auth_password) == ("example.pstn.twilio.com",
                                                                       "trunk-password-7f3a9c")


def test_numbers_are_set_as_a_whole_list() -> None:
    state = live()
    state.outbound.numbers.reverse()
    request = plan_provisioning(DESIRED, state.state()).actions[0].request
    assert isinstance(request, UpdateSIPOutboundTrunkRequest)
    assert list(request.update.numbers.set) == ["+12125550190", "+12125550191"]
    assert not (request.update.numbers.add or request.update.numbers.remove or request.update.numbers.clear)


def test_an_extra_attribute_is_deleted_with_an_empty_value() -> None:
    state = live()
    state.rule.attributes["extra"] = "x"
    request = plan_provisioning(DESIRED, state.state()).actions[2].request
    assert isinstance(request, UpdateSIPDispatchRuleRequest) and request.WhichOneof("action") == "update"
    assert dict(request.update.attributes) == {"dialer.mode": "briefing", "extra": ""}


def test_a_field_the_update_message_lacks_replaces_and_keeps_unmanaged_fields() -> None:
    state = live()
    state.inbound.krisp_enabled = False
    state.inbound.numbers.append("+14155550198")
    request = plan_provisioning(DESIRED, state.state()).actions[1].request
    assert isinstance(request, UpdateSIPInboundTrunkRequest) and request.WhichOneof("action") == "replace"
    expected = SIPInboundTrunkInfo(sip_trunk_id="ST_in", name="dialer-briefing-inbound",
                                   numbers=["+14155550199"], krisp_enabled=True, metadata="ops note",
                                       ringing_timeout=Duration(seconds=20))
    assert request.replace == expected  # no timestamps: the server keeps its own


def test_a_replaced_rule_keeps_its_trunk_and_gets_the_new_agent() -> None:
    state = live()
    _set_agent(state.rule, "old-agent")
    request = plan_provisioning(DESIRED, state.state()).actions[2].request
    assert isinstance(request, UpdateSIPDispatchRuleRequest) and request.WhichOneof("action") == "replace"
    assert request.replace.room_config == DESIRED.rule.room_config  # type: ignore[union-attr]
    assert list(request.replace.trunk_ids) == ["ST_in"] and request.replace.sip_dispatch_rule_id == "SDR_rule"


def test_a_deleted_inbound_trunk_rebinds_the_rule_to_the_new_one() -> None:
    state = live()
    state.inbound.name = ""
    request = plan_provisioning(DESIRED, state.state()).actions[2].request
    assert isinstance(request, UpdateSIPDispatchRuleRequest)
    assert list(request.update.trunk_ids.set) == [PENDING_INBOUND_TRUNK_ID]
    bound = bind_pending_trunk(request, "ST_new")
    assert isinstance(bound, UpdateSIPDispatchRuleRequest) and list(bound.update.trunk_ids.set) == ["ST_new"]


def test_binding_a_replace_request() -> None:
    request = UpdateSIPDispatchRuleRequest(sip_dispatch_rule_id="SDR_1", replace=SIPDispatchRuleInfo(
        trunk_ids=[PENDING_INBOUND_TRUNK_ID, "ST_keep"], room_config=RoomConfiguration()))
    bound = bind_pending_trunk(request, "ST_new")
    assert isinstance(bound, UpdateSIPDispatchRuleRequest) and list(bound.replace.trunk_ids) == ["ST_new", "ST_keep"]


def test_two_resources_with_our_name_are_refused() -> None:
    state = live()
    twin = _copy(state.inbound)
    assert isinstance(twin, SIPInboundTrunkInfo)
    twin.sip_trunk_id = "ST_twin"
    state.extra.append(twin)
    with pytest.raises(ProvisioningError) as caught:
        plan_provisioning(DESIRED, state.state())
    assert "2 inbound trunks are named 'dialer-briefing-inbound' (ST_in, ST_twin)" in str(caught.value)


def test_unmanaged_kinds_get_no_action() -> None:
    only_outbound = DesiredState(outbound=DESIRED.outbound, inbound=None, rule=None)
    plan = plan_provisioning(only_outbound, live().state())
    assert [(a.kind, a.verb) for a in plan.actions] == [("outbound_trunk", "unchanged")]
    assert plan.writes == ()


def test_a_briefing_line_for_the_carrier_alone_is_provisioned_so() -> None:
    """Caller ID is believed only when the trunk admits the carrier alone (issue #13): then those settings are ours."""
    locked = desired_state(make_settings(briefing_allowed_addresses="192.0.2.10,198.51.100.0/24"))
    assert list(locked.inbound.allowed_addresses) == ["192.0.2.10", "198.51.100.0/24"]  # type: ignore[union-attr]
    state = live()  # as provisioned before: open to any address
    request = plan_provisioning(locked, state.state()).actions[1].request
    assert isinstance(request, UpdateSIPInboundTrunkRequest) and request.WhichOneof("action") == "update"
    assert list(request.update.allowed_addresses.set) == ["192.0.2.10", "198.51.100.0/24"]
    with_credentials = desired_state(make_settings(briefing_sip_username="carrier", briefing_sip_password="s3cret-pw"))
    request = plan_provisioning(with_credentials, state.state()).actions[1].request
    assert isinstance(request, UpdateSIPInboundTrunkRequest)
    assert (request.update.auth_username, request.update.auth_password) == ("carrier", "s3cret-pw")
    with pytest.raises(ProvisioningError, match="set both or neither"):
        desired_state(make_settings(briefing_sip_username="carrier"))
