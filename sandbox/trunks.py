"""SIP inbound/outbound trunks and dispatch rules, with LiveKit's validation and update semantics.

Updates really update (``replace`` swaps the whole object, ``update`` applies a field diff with
``ListUpdate`` set/add/remove/clear and attribute maps where an empty value deletes), and creating a
second inbound trunk for the same number, or a second dispatch rule for the same trunk/number/PIN,
is refused as LiveKit refuses it, so a provisioning tool that is not idempotent fails here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from google.protobuf.message import Message
from livekit.protocol.models import ListUpdate, Pagination
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPTrunkInfo,
    UpdateSIPDispatchRuleRequest,
    UpdateSIPInboundTrunkRequest,
    UpdateSIPOutboundTrunkRequest,
)

from .errors import TwirpError, invalid_argument, not_found
from .ids import new_id

T = TypeVar("T", bound=Message)


def apply_list_update(current: Sequence[str], update: ListUpdate) -> list[str]:
    """livekit/protocol applyListUpdate: clear, else set, else remove then add (no duplicates)."""
    if update.clear:
        return []
    if update.set:
        return list(update.set)
    removed = set(update.remove)
    result = [value for value in current if value not in removed]
    for value in update.add:
        if value not in result:
            result.append(value)
    return result


def _validate_list_update(update: ListUpdate) -> None:
    if update.clear and (update.set or update.add or update.remove):
        raise invalid_argument("cannot clear and change the list at the same time")
    if update.set and (update.add or update.remove):
        raise invalid_argument("cannot set and change the list at the same time")
    if any(not value for value in [*update.set, *update.add, *update.remove]):
        raise invalid_argument("empty element in the list")


def apply_diff(info: Message, diff: Message) -> None:
    """Applies an ``*Update`` message: only the fields it sets, each onto the same-named field."""
    for field, value in diff.ListFields():
        if field.message_type is not None and field.message_type.full_name == ListUpdate.DESCRIPTOR.full_name:
            _validate_list_update(value)
            target = getattr(info, field.name)
            updated = apply_list_update(list(target), value)
            del target[:]
            target.extend(updated)
        elif field.message_type is not None and field.message_type.GetOptions().map_entry:
            target = getattr(info, field.name)
            for key, item in value.items():
                if item:
                    target[key] = item
                else:
                    target.pop(key, None)
        elif field.message_type is not None:
            getattr(info, field.name).CopyFrom(value)
        else:
            setattr(info, field.name, value)


def _paginate(items: list[T], page: Pagination, id_of: Callable[[T], str]) -> list[T]:
    if page.after_id:
        ids = [id_of(item) for item in items]
        items = items[ids.index(page.after_id) + 1:] if page.after_id in ids else []
    return items[: page.limit] if page.limit > 0 else items


def _overlaps(a: Iterable[str], b: Iterable[str]) -> bool:
    """Both sets constrain the same thing: empty means "any"."""
    a_set, b_set = set(a), set(b)
    return not a_set or not b_set or bool(a_set & b_set)


def _is_sip_uri(value: str) -> bool:
    return any(mark in value for mark in ("@", ";", "transport=")) or value.startswith(("sip:", "sips:"))


def validate_outbound(info: SIPOutboundTrunkInfo) -> None:
    if not info.numbers:
        raise invalid_argument("no trunk numbers specified")
    if not info.address:
        raise invalid_argument("no outbound address specified")
    if _is_sip_uri(info.address):
        raise invalid_argument("trunk address should be a hostname or IP, not SIP URI")


def validate_inbound(info: SIPInboundTrunkInfo) -> None:
    if not (info.auth_username or info.auth_password or info.allowed_addresses or info.numbers):
        raise invalid_argument(
            "for security, one of the fields must be set: AuthUsername+AuthPassword, AllowedAddresses or Numbers"
        )


def validate_rule(info: SIPDispatchRuleInfo) -> None:
    if not info.HasField("rule"):
        raise invalid_argument("missing rule")


def _pin(info: SIPDispatchRuleInfo) -> str:
    which = info.rule.WhichOneof("rule")
    return getattr(getattr(info.rule, which), "pin", "") if which else ""


class SipConfigStore:
    """Trunks and dispatch rules keyed by their generated ids (``ST_…``, ``SDR_…``), in creation order."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.inbound_trunks: dict[str, SIPInboundTrunkInfo] = {}
        self.outbound_trunks: dict[str, SIPOutboundTrunkInfo] = {}
        self.dispatch_rules: dict[str, SIPDispatchRuleInfo] = {}

    def _stamp(self, info: Message, *, created: bool) -> None:
        now = self._clock()
        seconds, nanos = int(now), int((now - int(now)) * 1e9)
        if created:
            getattr(info, "created_at").FromNanoseconds(seconds * 1_000_000_000 + nanos)
        getattr(info, "updated_at").FromNanoseconds(seconds * 1_000_000_000 + nanos)

    # outbound trunks

    def create_outbound(self, trunk: SIPOutboundTrunkInfo, *, trunk_id: str | None = None) -> SIPOutboundTrunkInfo:
        if trunk.sip_trunk_id and trunk_id is None:
            raise invalid_argument("trunk id must not be set")
        info = SIPOutboundTrunkInfo()
        info.CopyFrom(trunk)
        validate_outbound(info)
        info.sip_trunk_id = trunk_id or new_id("ST_")
        self._stamp(info, created=True)
        self.outbound_trunks[info.sip_trunk_id] = info
        return info

    def update_outbound(self, request: UpdateSIPOutboundTrunkRequest) -> SIPOutboundTrunkInfo:
        current = self._get(self.outbound_trunks, request.sip_trunk_id, "sip trunk")
        updated = self._updated(current, request, request.sip_trunk_id, "sip_trunk_id")
        validate_outbound(updated)
        self._stamp(updated, created=False)
        self.outbound_trunks[request.sip_trunk_id] = updated
        return updated

    def list_outbound(
        self, trunk_ids: Sequence[str], numbers: Sequence[str], page: Pagination
    ) -> list[SIPOutboundTrunkInfo]:
        items = [
            t for t in self.outbound_trunks.values()
            if (not trunk_ids or t.sip_trunk_id in trunk_ids)
            and (not numbers or not t.numbers or set(numbers) & set(t.numbers))
        ]
        return _paginate(items, page, lambda t: t.sip_trunk_id)

    # inbound trunks

    def create_inbound(self, trunk: SIPInboundTrunkInfo) -> SIPInboundTrunkInfo:
        if trunk.sip_trunk_id:
            raise invalid_argument("trunk id must not be set")
        info = SIPInboundTrunkInfo()
        info.CopyFrom(trunk)
        validate_inbound(info)
        info.sip_trunk_id = new_id("ST_")
        self._check_inbound_conflicts(info)
        self._stamp(info, created=True)
        self.inbound_trunks[info.sip_trunk_id] = info
        return info

    def update_inbound(self, request: UpdateSIPInboundTrunkRequest) -> SIPInboundTrunkInfo:
        current = self._get(self.inbound_trunks, request.sip_trunk_id, "sip trunk")
        updated = self._updated(current, request, request.sip_trunk_id, "sip_trunk_id")
        validate_inbound(updated)
        self._check_inbound_conflicts(updated)
        self._stamp(updated, created=False)
        self.inbound_trunks[request.sip_trunk_id] = updated
        return updated

    def list_inbound(
        self, trunk_ids: Sequence[str], numbers: Sequence[str], page: Pagination
    ) -> list[SIPInboundTrunkInfo]:
        items = [
            t for t in self.inbound_trunks.values()
            if (not trunk_ids or t.sip_trunk_id in trunk_ids)
            and (not numbers or not t.numbers or set(numbers) & set(t.numbers))
        ]
        return _paginate(items, page, lambda t: t.sip_trunk_id)

    def _check_inbound_conflicts(self, info: SIPInboundTrunkInfo) -> None:
        for other in self.inbound_trunks.values():
            if other.sip_trunk_id == info.sip_trunk_id:
                continue
            if (set(info.numbers) & set(other.numbers)
                    and _overlaps(info.allowed_numbers, other.allowed_numbers)
                    and _overlaps(info.allowed_addresses, other.allowed_addresses)):
                raise invalid_argument(f"conflicting inbound SIP trunks: {info.sip_trunk_id} and {other.sip_trunk_id}")

    # either kind

    def delete_trunk(self, trunk_id: str) -> SIPTrunkInfo:
        """DeleteSIPTrunk answers with the legacy SIPTrunkInfo view of what was deleted."""
        if trunk_id in self.outbound_trunks:
            out = self.outbound_trunks.pop(trunk_id)
            return SIPTrunkInfo(
                sip_trunk_id=trunk_id, kind=SIPTrunkInfo.TrunkKind.TRUNK_OUTBOUND, name=out.name,
                metadata=out.metadata, outbound_address=out.address, transport=out.transport,
                outbound_number=out.numbers[0] if out.numbers else "",
                outbound_username=out.auth_username, outbound_password=out.auth_password,
            )
        if trunk_id in self.inbound_trunks:
            inb = self.inbound_trunks.pop(trunk_id)
            return SIPTrunkInfo(
                sip_trunk_id=trunk_id, kind=SIPTrunkInfo.TrunkKind.TRUNK_INBOUND, name=inb.name,
                metadata=inb.metadata, outbound_number=inb.numbers[0] if inb.numbers else "",
                inbound_addresses=list(inb.allowed_addresses), inbound_numbers=list(inb.allowed_numbers),
                inbound_username=inb.auth_username, inbound_password=inb.auth_password,
            )
        raise not_found("sip trunk not found")

    # dispatch rules

    def create_rule(self, request: CreateSIPDispatchRuleRequest) -> SIPDispatchRuleInfo:
        info = SIPDispatchRuleInfo()
        if request.HasField("dispatch_rule"):
            if request.dispatch_rule.sip_dispatch_rule_id:
                raise invalid_argument("rule id must not be set")
            info.CopyFrom(request.dispatch_rule)
        else:  # the legacy flat fields
            if request.HasField("rule"):
                info.rule.CopyFrom(request.rule)
            if request.HasField("room_config"):
                info.room_config.CopyFrom(request.room_config)
            info.trunk_ids.extend(request.trunk_ids)
            info.inbound_numbers.extend(request.inbound_numbers)
            info.hide_phone_number = request.hide_phone_number
            info.name = request.name
            info.metadata = request.metadata
            info.attributes.update(request.attributes)
            info.room_preset = request.room_preset
        validate_rule(info)
        info.sip_dispatch_rule_id = new_id("SDR_")
        self._check_rule_conflicts(info)
        self._stamp(info, created=True)
        self.dispatch_rules[info.sip_dispatch_rule_id] = info
        return info

    def update_rule(self, request: UpdateSIPDispatchRuleRequest) -> SIPDispatchRuleInfo:
        current = self._get(self.dispatch_rules, request.sip_dispatch_rule_id, "sip dispatch rule")
        updated = self._updated(current, request, request.sip_dispatch_rule_id, "sip_dispatch_rule_id")
        validate_rule(updated)
        self._check_rule_conflicts(updated)
        self._stamp(updated, created=False)
        self.dispatch_rules[request.sip_dispatch_rule_id] = updated
        return updated

    def list_rules(
        self, rule_ids: Sequence[str], trunk_ids: Sequence[str], page: Pagination
    ) -> list[SIPDispatchRuleInfo]:
        items = [
            r for r in self.dispatch_rules.values()
            if (not rule_ids or r.sip_dispatch_rule_id in rule_ids)
            and (not trunk_ids or not r.trunk_ids or set(trunk_ids) & set(r.trunk_ids))
        ]
        return _paginate(items, page, lambda r: r.sip_dispatch_rule_id)

    def delete_rule(self, rule_id: str) -> SIPDispatchRuleInfo:
        self._get(self.dispatch_rules, rule_id, "sip dispatch rule")
        return self.dispatch_rules.pop(rule_id)

    def _check_rule_conflicts(self, info: SIPDispatchRuleInfo) -> None:
        for other in self.dispatch_rules.values():
            if other.sip_dispatch_rule_id == info.sip_dispatch_rule_id:
                continue
            if (_overlaps(info.trunk_ids, other.trunk_ids)
                    and _overlaps(info.inbound_numbers, other.inbound_numbers)
                    and _overlaps(info.numbers, other.numbers)
                    and _pin(info) == _pin(other)):
                raise invalid_argument(
                    f"conflicting SIP dispatch rules: same trunk, number and PIN as {other.sip_dispatch_rule_id}"
                )

    # helpers

    @staticmethod
    def _get(items: dict[str, T], item_id: str, what: str) -> T:
        if not item_id:
            raise invalid_argument(f"{what} id must be set")
        item = items.get(item_id)
        if item is None:
            raise not_found(f"{what} not found")
        return item

    @staticmethod
    def _updated(current: T, request: Message, item_id: str, id_field: str) -> T:
        """The object after a replace/update request, as a new message (the stored one is untouched)."""
        action = request.WhichOneof("action")
        if action is None:
            raise invalid_argument("missing or unsupported update action")
        updated = type(current)()
        if action == "replace":
            replacement = getattr(request, "replace")
            replacement_id = getattr(replacement, id_field)
            if replacement_id and replacement_id != item_id:
                raise TwirpError("invalid_argument", "id in the info must be empty or match the id in the update")
            updated.CopyFrom(replacement)
            getattr(updated, "created_at").CopyFrom(getattr(current, "created_at"))
        else:
            updated.CopyFrom(current)
            apply_diff(updated, getattr(request, "update"))
        setattr(updated, id_field, item_id)
        return updated
