"""Text for operators: the plan, the outcome, and the trunk listing. Pure (lines in, no printing).

Passwords and usernames are shown only as set / changed; phone numbers only masked (`mask_phone`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from google.protobuf.message import Message
from livekit.protocol.room import RoomConfiguration
from livekit.protocol.sip import (
    SIPDispatchRule,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPTransport,
)

from dialer.phones import mask_phone
from dialer.provisioning.executor import ProvisionResult
from dialer.provisioning.plan import KINDS, PENDING_INBOUND_TRUNK_ID, Action, ExistingState
from dialer.provisioning.protofields import field_value

SECRET_FIELDS = frozenset({"auth_username", "auth_password"})
PHONE_FIELDS = frozenset({"numbers", "inbound_numbers", "allowed_numbers"})
TRUNK_ID_SETTING = "DIALER_SIP_OUTBOUND_TRUNK_ID"


def show_field(name: str, value: object) -> str:
    """One managed field's value as it may be printed."""
    if name in SECRET_FIELDS:
        return "(set)" if value else "(none)"
    if name in PHONE_FIELDS:
        return masked_numbers(cast(list[str], value))
    if name == "transport":
        return transport_name(cast(int, value))
    if name == "krisp_enabled":
        return "on" if value else "off"
    if name == "rule":
        return describe_rule(cast("SIPDispatchRule | None", value))
    if name == "room_config":
        return describe_room_config(cast("RoomConfiguration | None", value))
    if name == "trunk_ids":
        ids = cast(list[str], value)
        return "[" + ", ".join("(the new inbound trunk)" if i == PENDING_INBOUND_TRUNK_ID else i for i in ids) + "]"
    if name == "attributes":
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(cast(Mapping[str, str], value).items())) + "}"
    if isinstance(value, str):
        return value if value else "''"
    return str(value)


def masked_numbers(numbers: list[str]) -> str:
    return "[" + ", ".join(mask_phone(n) for n in numbers) + "]"


def transport_name(value: int) -> str:
    try:
        return SIPTransport.Name(value).removeprefix("SIP_TRANSPORT_").lower()
    except ValueError:
        return str(value)


def describe_rule(rule: SIPDispatchRule | None) -> str:
    if rule is None:
        return "(none)"
    which = rule.WhichOneof("rule")
    if which == "dispatch_rule_individual":
        inner = rule.dispatch_rule_individual
        return f"individual(room_prefix={inner.room_prefix}{', pin set' if inner.pin else ''})"
    if which == "dispatch_rule_direct":
        return f"direct(room={rule.dispatch_rule_direct.room_name}{', pin set' if rule.dispatch_rule_direct.pin else ''})"
    if which == "dispatch_rule_callee":
        return f"callee(room_prefix={rule.dispatch_rule_callee.room_prefix})"
    return "(no rule)"


def describe_room_config(config: RoomConfiguration | None) -> str:
    if config is None:
        return "(none)"
    agents = ", ".join(f"{a.agent_name} {a.metadata}".strip() for a in config.agents)
    return f"agents=[{agents}]"


def render_action(action: Action) -> list[str]:
    where = f"{action.label} {action.name!r}"
    if action.verb == "create":
        fields = [n for n in KINDS[action.kind].managed if n != "name"]
        shown = ", ".join(f"{n}={show_field(n, field_value(action.desired, n))}" for n in fields)
        return [f"+ create {where}: {shown}"]
    if action.verb == "unchanged":
        return [f"= unchanged {where} ({action.resource_id})"]
    lines = [f"~ update {where} ({action.resource_id}): {', '.join(action.changed)}"]
    existing = cast(Message, action.existing)
    for name in action.changed:
        if name in SECRET_FIELDS:
            lines.append(f"    {name}: (changed)")
        else:
            before = show_field(name, field_value(existing, name))
            after = show_field(name, field_value(action.desired, name))
            lines.append(f"    {name}: {before} -> {after}")
    return lines


def render_result(result: ProvisionResult, *, configured_trunk_id: str) -> list[str]:
    lines = [line for action in result.plan.actions for line in render_action(action)]
    writes = len(result.plan.writes)
    if result.dry_run:
        lines.append(f"dry run: {writes} change(s) planned, nothing sent" if writes else "dry run: no changes")
    else:
        lines.append(f"applied {writes} change(s)" if writes else "no changes: LiveKit matches the configuration")
    if result.plan.get("outbound_trunk") is not None:
        trunk_id = result.ids.get("outbound_trunk")
        if trunk_id is None:
            lines.append("outbound trunk id: assigned when it is created")
        elif trunk_id == configured_trunk_id:
            lines.append(f"outbound trunk id: {trunk_id} ({TRUNK_ID_SETTING} already points at it)")
        else:
            lines.append(f"outbound trunk id: {trunk_id}; set {TRUNK_ID_SETTING}={trunk_id} "
                         f"(it is {configured_trunk_id} now)")
    return lines


def render_listing(existing: ExistingState, *, configured_trunk_id: str) -> list[str]:
    lines = [f"Outbound trunks ({len(existing.outbound)})"]
    lines += [_outbound_line(t, configured_trunk_id) for t in existing.outbound] or ["  (none)"]
    lines.append(f"Inbound trunks ({len(existing.inbound)})")
    lines += [_inbound_line(t) for t in existing.inbound] or ["  (none)"]
    lines.append(f"Dispatch rules ({len(existing.rules)})")
    lines += [_rule_line(r) for r in existing.rules] or ["  (none)"]
    if not any(t.sip_trunk_id == configured_trunk_id for t in existing.outbound):
        lines.append(f"note: {TRUNK_ID_SETTING}={configured_trunk_id} is not an outbound trunk of this LiveKit")
    return lines


def _name(name: str) -> str:
    return repr(name) if name else "(no name)"


def _outbound_line(trunk: SIPOutboundTrunkInfo, configured_trunk_id: str) -> str:
    auth = "auth (set)" if trunk.auth_username or trunk.auth_password else "auth (none)"
    mark = f"  <- {TRUNK_ID_SETTING}" if trunk.sip_trunk_id == configured_trunk_id else ""
    return (f"  {trunk.sip_trunk_id}  {_name(trunk.name)}  {trunk.address}  {transport_name(trunk.transport)}  "
            f"numbers {masked_numbers(list(trunk.numbers))}  {auth}{mark}")


def _inbound_line(trunk: SIPInboundTrunkInfo) -> str:
    return (f"  {trunk.sip_trunk_id}  {_name(trunk.name)}  numbers {masked_numbers(list(trunk.numbers))}  "
            f"krisp {'on' if trunk.krisp_enabled else 'off'}")


def _rule_line(rule: SIPDispatchRuleInfo) -> str:
    rule_value = rule.rule if rule.HasField("rule") else None
    config = rule.room_config if rule.HasField("room_config") else None
    numbers = f"  numbers {masked_numbers(list(rule.numbers))}" if rule.numbers else ""
    return (f"  {rule.sip_dispatch_rule_id}  {_name(rule.name)}  {describe_rule(rule_value)}  "
            f"trunks [{', '.join(rule.trunk_ids) or 'any'}]{numbers}  {describe_room_config(config)}")
