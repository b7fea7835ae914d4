"""The thin I/O half: list what LiveKit holds, and send a plan's requests through `livekit.api.LiveKitAPI`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf.message import Message
from livekit import api
from livekit.protocol.models import Pagination
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    CreateSIPOutboundTrunkRequest,
    ListSIPDispatchRuleRequest,
    ListSIPInboundTrunkRequest,
    ListSIPOutboundTrunkRequest,
    UpdateSIPDispatchRuleRequest,
    UpdateSIPInboundTrunkRequest,
    UpdateSIPOutboundTrunkRequest,
)

from dialer.provisioning.desired import DesiredState
from dialer.provisioning.plan import KINDS, ExistingState, Kind, Plan, bind_pending_trunk, plan_provisioning
from dialer.provisioning.protofields import is_map

log = logging.getLogger(__name__)

PAGE_SIZE = 100
T = TypeVar("T", bound=Message)


@dataclass(frozen=True)
class ProvisionResult:
    """The plan and, per resource, its id in LiveKit (None for one a dry run would create)."""

    plan: Plan
    ids: dict[Kind, str | None]
    dry_run: bool


async def provision(lk: api.LiveKitAPI, desired: DesiredState, *, dry_run: bool = False) -> ProvisionResult:
    """List, plan, and (unless a dry run) apply. A second run against the same state sends only List calls."""
    plan = plan_provisioning(desired, await fetch_existing(lk))
    if dry_run:
        return ProvisionResult(plan=plan, ids={a.kind: a.resource_id for a in plan.actions}, dry_run=True)
    return ProvisionResult(plan=plan, ids=await apply_plan(lk, plan), dry_run=False)


async def fetch_existing(lk: api.LiveKitAPI) -> ExistingState:
    async def outbound(page: Pagination) -> Sequence[Any]:
        return (await lk.sip.list_outbound_trunk(ListSIPOutboundTrunkRequest(page=page))).items

    async def inbound(page: Pagination) -> Sequence[Any]:
        return (await lk.sip.list_inbound_trunk(ListSIPInboundTrunkRequest(page=page))).items

    async def rules(page: Pagination) -> Sequence[Any]:
        return (await lk.sip.list_dispatch_rule(ListSIPDispatchRuleRequest(page=page))).items

    return ExistingState(
        outbound=await _all_pages(outbound, "sip_trunk_id"),
        inbound=await _all_pages(inbound, "sip_trunk_id"),
        rules=await _all_pages(rules, "sip_dispatch_rule_id"),
    )


async def _all_pages(list_page: Callable[[Pagination], Awaitable[Sequence[T]]], id_field: str) -> list[T]:
    """Every item, page by page; stops on a short page, or when a server that ignores paging repeats itself."""
    items: list[T] = []
    seen: set[str] = set()
    after = ""
    while True:
        page = await list_page(Pagination(after_id=after, limit=PAGE_SIZE))
        fresh = [item for item in page if str(getattr(item, id_field)) not in seen]
        items.extend(fresh)
        seen.update(str(getattr(item, id_field)) for item in fresh)
        if len(page) < PAGE_SIZE or not fresh:
            return items
        after = str(getattr(page[-1], id_field))


async def apply_plan(lk: api.LiveKitAPI, plan: Plan) -> dict[Kind, str | None]:
    """Sends each write in plan order; the dispatch rule gets the id of an inbound trunk created just before."""
    ids: dict[Kind, str | None] = {}
    for action in plan.actions:
        if action.request is None:
            ids[action.kind] = action.resource_id
            continue
        request = action.request
        inbound_id = ids.get("inbound_trunk")
        if action.kind == "dispatch_rule" and inbound_id:
            request = bind_pending_trunk(request, inbound_id)
        result = await send(lk, request)
        resource_id = str(getattr(result, KINDS[action.kind].id_field))
        ids[action.kind] = resource_id
        log.info("provisioning: %s %s %r (%s)", "created" if action.verb == "create" else "updated",
                 action.label, action.name, resource_id)
    return ids


async def send(lk: api.LiveKitAPI, request: Message) -> Message:
    """One Create/Update request through the client's public methods (the wire request is the same)."""
    sip = lk.sip
    if isinstance(request, CreateSIPOutboundTrunkRequest):
        return await sip.create_outbound_trunk(request)
    if isinstance(request, CreateSIPInboundTrunkRequest):
        return await sip.create_inbound_trunk(request)
    if isinstance(request, CreateSIPDispatchRuleRequest):
        return await sip.create_dispatch_rule(request)
    if isinstance(request, UpdateSIPOutboundTrunkRequest):
        if request.HasField("replace"):
            return await sip.update_outbound_trunk(request.sip_trunk_id, request.replace)
        return await sip.update_outbound_trunk_fields(request.sip_trunk_id, **_kwargs(request.update))
    if isinstance(request, UpdateSIPInboundTrunkRequest):
        if request.HasField("replace"):
            return await sip.update_inbound_trunk(request.sip_trunk_id, request.replace)
        return await sip.update_inbound_trunk_fields(request.sip_trunk_id, **_kwargs(request.update))
    if isinstance(request, UpdateSIPDispatchRuleRequest):
        if request.HasField("replace"):
            return await sip.update_dispatch_rule(request.sip_dispatch_rule_id, request.replace)
        return await sip.update_dispatch_rule_fields(request.sip_dispatch_rule_id, **_kwargs(request.update))
    raise TypeError(f"not a provisioning request: {type(request).__name__}")


def _kwargs(update: Message) -> dict[str, Any]:
    """The fields set in an *Update message as the client's keyword arguments (maps as dicts)."""
    return {
        descriptor.name: dict(value) if is_map(descriptor) else value
        for descriptor, value in update.ListFields()
    }
