"""The plan: desired state vs what LiveKit holds → create / update (which fields) / unchanged. Pure.

Each resource is found by its stable name. An update sends only the differing fields (LiveKit's `update`
action) when the API's update message can express them all; a field it cannot express (`krisp_enabled` on
an inbound trunk, `room_config` on a dispatch rule) makes it a `replace` of the existing object with the
managed fields overwritten, so settings made outside provisioning survive either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace, field
from typing import Literal

from google.protobuf.message import Message
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    CreateSIPOutboundTrunkRequest,
    SIPDispatchRuleInfo,
    SIPDispatchRuleUpdate,
    SIPInboundTrunkInfo,
    SIPInboundTrunkUpdate,
    SIPOutboundTrunkInfo,
    SIPOutboundTrunkUpdate,
    UpdateSIPDispatchRuleRequest,
    UpdateSIPInboundTrunkRequest,
    UpdateSIPOutboundTrunkRequest,
)

from dialer.provisioning.desired import DesiredState
from dialer.provisioning.errors import ProvisioningError
from dialer.provisioning.protofields import copy_field, differing_fields, field_value, is_map

Kind = Literal["outbound_trunk", "inbound_trunk", "dispatch_rule"]
Verb = Literal["create", "update", "unchanged"]

# Stands in for the inbound trunk's id in the dispatch rule until the executor has created that trunk.
PENDING_INBOUND_TRUNK_ID = "<new inbound trunk>"


@dataclass(frozen=True)
class ResourceKind:
    """What the planner knows about one kind of resource."""

    kind: Kind
    label: str
    id_field: str
    managed: tuple[str, ...]  # compared and written by provisioning; everything else is left as found
    diffable: frozenset[str]  # managed fields the API's `update` message can carry
    update_type: type[Message]
    create_type: type[Message]
    create_field: str
    update_request_type: type[Message]


OUTBOUND = ResourceKind(
    kind="outbound_trunk", label="outbound trunk", id_field="sip_trunk_id",
    managed=("name", "address", "transport", "numbers", "auth_username", "auth_password"),
    diffable=frozenset({"name", "address", "transport", "numbers", "auth_username", "auth_password"}),
    update_type=SIPOutboundTrunkUpdate, create_type=CreateSIPOutboundTrunkRequest, create_field="trunk",
    update_request_type=UpdateSIPOutboundTrunkRequest,
)
INBOUND = ResourceKind(
    kind="inbound_trunk", label="inbound trunk", id_field="sip_trunk_id",
    managed=("name", "numbers", "krisp_enabled", "ringing_timeout"),
    diffable=frozenset({"name", "numbers"}),
    update_type=SIPInboundTrunkUpdate, create_type=CreateSIPInboundTrunkRequest, create_field="trunk",
    update_request_type=UpdateSIPInboundTrunkRequest,
)
RULE = ResourceKind(
    kind="dispatch_rule", label="dispatch rule", id_field="sip_dispatch_rule_id",
    managed=("name", "rule", "trunk_ids", "attributes", "room_config"),
    diffable=frozenset({"name", "rule", "trunk_ids", "attributes"}),
    update_type=SIPDispatchRuleUpdate, create_type=CreateSIPDispatchRuleRequest, create_field="dispatch_rule",
    update_request_type=UpdateSIPDispatchRuleRequest,
)
# The inbound trunk when the briefing line admits only the carrier (DIALER_BRIEFING_ALLOWED_ADDRESSES or
# DIALER_BRIEFING_SIP_USERNAME/PASSWORD): then those are ours to keep as declared; otherwise they are left alone.
INBOUND_CARRIER_ONLY = replace(
    INBOUND,
    managed=(*INBOUND.managed, "allowed_addresses", "auth_username", "auth_password"),
    diffable=INBOUND.diffable | {"allowed_addresses", "auth_username", "auth_password"},
)
KINDS: dict[Kind, ResourceKind] = {k.kind: k for k in (OUTBOUND, INBOUND, RULE)}


@dataclass(frozen=True)
class ExistingState:
    """Everything LiveKit listed (all names, not only ours: duplicates of our names must be seen)."""

    outbound: Sequence[SIPOutboundTrunkInfo] = ()
    inbound: Sequence[SIPInboundTrunkInfo] = ()
    rules: Sequence[SIPDispatchRuleInfo] = ()


@dataclass(frozen=True)
class Action:
    """One resource's step. `request` is the Create*/Update* request to send; None when unchanged."""

    kind: Kind
    verb: Verb
    name: str
    desired: Message
    existing: Message | None = None
    resource_id: str | None = None
    changed: tuple[str, ...] = ()
    request: Message | None = None

    @property
    def label(self) -> str:
        return KINDS[self.kind].label


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = field(default_factory=tuple)

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.verb != "unchanged")

    def get(self, kind: Kind) -> Action | None:
        return next((a for a in self.actions if a.kind == kind), None)


def plan_provisioning(desired: DesiredState, existing: ExistingState) -> Plan:
    """Outbound trunk, inbound trunk, then the dispatch rule (which needs the inbound trunk's id)."""
    actions: list[Action] = []
    if desired.outbound is not None:
        actions.append(plan_resource(OUTBOUND, desired.outbound, existing.outbound))
    if desired.inbound is not None:
        carrier_only = bool(desired.inbound.allowed_addresses or desired.inbound.auth_username)
        inbound = plan_resource(INBOUND_CARRIER_ONLY if carrier_only else INBOUND, desired.inbound, existing.inbound)
        actions.append(inbound)
        if desired.rule is not None:
            rule = SIPDispatchRuleInfo()
            rule.CopyFrom(desired.rule)
            del rule.trunk_ids[:]
            rule.trunk_ids.append(inbound.resource_id or PENDING_INBOUND_TRUNK_ID)
            actions.append(plan_resource(RULE, rule, existing.rules))
    return Plan(tuple(actions))


def plan_resource(kind: ResourceKind, desired: Message, existing: Sequence[Message]) -> Action:
    name = str(getattr(desired, "name"))
    found = find_by_name(kind, name, existing)
    if found is None:
        request = kind.create_type(**{kind.create_field: desired})
        return Action(kind=kind.kind, verb="create", name=name, desired=desired, request=request)
    resource_id = str(getattr(found, kind.id_field))
    changed = differing_fields(found, desired, kind.managed)
    if not changed:
        return Action(kind=kind.kind, verb="unchanged", name=name, desired=desired, existing=found,
                      resource_id=resource_id)
    return Action(kind=kind.kind, verb="update", name=name, desired=desired, existing=found,
                  resource_id=resource_id, changed=changed,
                  request=update_request(kind, resource_id, found, desired, changed))


def find_by_name(kind: ResourceKind, name: str, existing: Sequence[Message]) -> Message | None:
    """The one resource of that name; several are refused rather than guessed between."""
    matches = [item for item in existing if getattr(item, "name") == name]
    if len(matches) > 1:
        ids = ", ".join(str(getattr(item, kind.id_field)) for item in matches)
        raise ProvisioningError(
            f"{len(matches)} {kind.label}s are named {name!r} ({ids}): delete or rename all but one, then run again"
        )
    return matches[0] if matches else None


def update_request(
    kind: ResourceKind, resource_id: str, existing: Message, desired: Message, changed: tuple[str, ...]
) -> Message:
    """A field diff when the update message can carry every change, else a replace."""
    if all(_diffable(kind, desired, name) for name in changed):
        return kind.update_request_type(**{kind.id_field: resource_id, "update": _diff(kind, existing, desired, changed)})
    replacement = type(existing)()
    replacement.CopyFrom(existing)
    for name in ("created_at", "updated_at"):
        replacement.ClearField(name)  # server-maintained
    for name in kind.managed:
        copy_field(replacement, desired, name)
    setattr(replacement, kind.id_field, resource_id)
    return kind.update_request_type(**{kind.id_field: resource_id, "replace": replacement})


def _diffable(kind: ResourceKind, desired: Message, name: str) -> bool:
    if name not in kind.diffable:
        return False
    value = field_value(desired, name)
    if isinstance(value, dict):  # in an update, an empty map value means "delete this key"
        return all(v != "" for v in value.values())
    if isinstance(value, list):  # an empty list needs ListUpdate.clear, which the client drops
        return bool(value)
    return True


def _diff(kind: ResourceKind, existing: Message, desired: Message, changed: tuple[str, ...]) -> Message:
    update = kind.update_type()
    for name in changed:
        descriptor = desired.DESCRIPTOR.fields_by_name[name]
        if is_map(descriptor):
            wanted = dict(getattr(desired, name))
            removed = {key: "" for key in getattr(existing, name) if key not in wanted}
            getattr(update, name).update({**removed, **wanted})
        elif descriptor.is_repeated:  # a ListUpdate in the update message
            getattr(update, name).set.extend(getattr(desired, name))
        elif descriptor.message_type is not None:
            getattr(update, name).CopyFrom(getattr(desired, name))
        else:
            setattr(update, name, getattr(desired, name))
    return update


def bind_pending_trunk(request: Message, trunk_id: str) -> Message:
    """The dispatch-rule request with the placeholder replaced by the inbound trunk's real id."""
    bound = type(request)()
    bound.CopyFrom(request)
    if isinstance(bound, CreateSIPDispatchRuleRequest):
        lists = [bound.dispatch_rule.trunk_ids]
    elif isinstance(bound, UpdateSIPDispatchRuleRequest):
        lists = [bound.replace.trunk_ids] if bound.HasField("replace") else [bound.update.trunk_ids.set]
    else:
        return bound
    for ids in lists:
        values = [trunk_id if value == PENDING_INBOUND_TRUNK_ID else value for value in ids]
        del ids[:]
        ids.extend(values)
    return bound
