"""SIP service routes: calls and transfers (``CallManager``), trunks and dispatch rules (``SipConfigStore``)."""

from __future__ import annotations

import asyncio
import re

from livekit.api.access_token import Claims
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    CreateSIPOutboundTrunkRequest,
    CreateSIPParticipantRequest,
    DeleteSIPDispatchRuleRequest,
    DeleteSIPTrunkRequest,
    ListSIPDispatchRuleRequest,
    ListSIPDispatchRuleResponse,
    ListSIPInboundTrunkRequest,
    ListSIPInboundTrunkResponse,
    ListSIPOutboundTrunkRequest,
    ListSIPOutboundTrunkResponse,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPParticipantInfo,
    SIPTrunkInfo,
    TransferSIPParticipantRequest,
    TransferSIPParticipantResponse,
    UpdateSIPDispatchRuleRequest,
    UpdateSIPInboundTrunkRequest,
    UpdateSIPOutboundTrunkRequest,
)

from . import auth
from .calls import DEFAULT_RINGING_TIMEOUT_S, CallManager
from .errors import TwirpError, invalid_argument, not_found, sip_call_failed
from .ids import new_id
from .numbers import outcome_for
from .state import RoomRegistry
from .trunks import SipConfigStore
from .twirp import Route

SVC = "SIP"
WAIT_UNTIL_ANSWERED_CAP_S = 80.0


def validate_dial(request: CreateSIPParticipantRequest) -> None:
    """LiveKit's CreateSIPParticipantRequest.Validate."""
    if not request.sip_trunk_id and not request.HasField("trunk"):
        raise invalid_argument("missing sip trunk id")
    if request.HasField("trunk") and not request.trunk.hostname:
        raise invalid_argument("no outbound hostname specified")
    if not request.sip_call_to:
        raise invalid_argument("missing sip callee number")
    if "@" in request.sip_call_to:
        raise invalid_argument("SipCallTo should be a phone number or SIP user, not a full SIP URI")
    if not request.room_name:
        raise invalid_argument("missing room name")


def transfer_target(transfer_to: str) -> str:
    """The number (or SIP user) in a ``tel:``/``sip:`` transfer target; anything else is refused."""
    inner = transfer_to[1:-1] if transfer_to.startswith("<") and transfer_to.endswith(">") else transfer_to
    match = re.match(r"^(?:tel:|sips?:)([^@;>]+)", inner)
    if match is None:
        raise invalid_argument("transfer_to must be a valid SIP(s) or TEL URI (sip:, sips: or tel:)")
    return match.group(1)


def call_routes(
    registry: RoomRegistry, calls: CallManager, store: SipConfigStore, *, ring_delay_s: float
) -> list[Route]:
    async def create_sip_participant(req: CreateSIPParticipantRequest, _c: Claims) -> SIPParticipantInfo:
        validate_dial(req)
        trunk = None
        if req.sip_trunk_id:
            trunk = store.outbound_trunks.get(req.sip_trunk_id)
            if trunk is None:
                raise not_found("requested sip trunk does not exist")
        call = calls.dial(req, trunk)
        if req.wait_until_answered:
            try:
                # livekit-server gives a waiting CreateSIPParticipant 80 s in all, whatever the ringing time-out
                error = await asyncio.wait_for(asyncio.shield(call.settled), WAIT_UNTIL_ANSWERED_CAP_S)
            except asyncio.TimeoutError:
                raise TwirpError("deadline_exceeded", "request timed out") from None
            if error is not None:
                raise error
        return SIPParticipantInfo(
            participant_id=call.participant_sid, participant_identity=call.identity,
            room_name=call.room_name, sip_call_id=call.call_id,
        )

    async def transfer_sip_participant(
        req: TransferSIPParticipantRequest, _c: Claims
    ) -> TransferSIPParticipantResponse:
        if not req.room_name:
            raise invalid_argument("missing room name")
        if not req.participant_identity:
            raise invalid_argument("missing participant identity")
        if not req.transfer_to:
            raise invalid_argument("missing transfer to")
        target = transfer_target(req.transfer_to)
        registry.get_participant(req.room_name, req.participant_identity)
        call = calls.find_active(req.room_name, req.participant_identity)
        if call is None:
            raise TwirpError("failed_precondition", "participant is not an answered SIP call")
        transfer_id = new_id("STR_")
        outcome = outcome_for(target)
        ringing_timeout = (
            req.ringing_timeout.seconds + req.ringing_timeout.nanos / 1e9 if req.HasField("ringing_timeout")
            else DEFAULT_RINGING_TIMEOUT_S
        )
        if outcome.rings and ring_delay_s > 0:
            await asyncio.sleep(min(ring_delay_s, ringing_timeout))
            if ring_delay_s > ringing_timeout:
                raise TwirpError("canceled", "transfer target did not answer within the ringing timeout",
                                 {"sip_transfer_reason": "STR_RINGING_TIMEOUT", "sip_transfer_id": transfer_id})
        if not outcome.answered:
            raise sip_call_failed(
                outcome.sip_status_code or 500, outcome.sip_status or "Server Internal Error",
                extra={"sip_transfer_reason": "STR_REJECTED", "sip_transfer_id": transfer_id},
            )
        if call.live:  # it may have ended while the target rang
            call.transferred_to = target
            calls.end_after_transfer(call)
        # livekit/sip v1.8.0 answers an accepted transfer with an empty reply (status ONGOING, the enum's zero)
        return TransferSIPParticipantResponse()

    transfer_auth = auth.all_of(auth.sip_call, auth.room_admin(lambda r: str(r.room_name)))
    return [
        Route(SVC, "CreateSIPParticipant", CreateSIPParticipantRequest, create_sip_participant, auth.sip_call),
        Route(SVC, "TransferSIPParticipant", TransferSIPParticipantRequest, transfer_sip_participant, transfer_auth),
    ]


def config_routes(store: SipConfigStore) -> list[Route]:
    async def create_inbound(req: CreateSIPInboundTrunkRequest, _c: Claims) -> SIPInboundTrunkInfo:
        if not req.HasField("trunk"):
            raise invalid_argument("missing trunk")
        return store.create_inbound(req.trunk)

    async def create_outbound(req: CreateSIPOutboundTrunkRequest, _c: Claims) -> SIPOutboundTrunkInfo:
        if not req.HasField("trunk"):
            raise invalid_argument("missing trunk")
        return store.create_outbound(req.trunk)

    async def update_inbound(req: UpdateSIPInboundTrunkRequest, _c: Claims) -> SIPInboundTrunkInfo:
        return store.update_inbound(req)

    async def update_outbound(req: UpdateSIPOutboundTrunkRequest, _c: Claims) -> SIPOutboundTrunkInfo:
        return store.update_outbound(req)

    async def list_inbound(req: ListSIPInboundTrunkRequest, _c: Claims) -> ListSIPInboundTrunkResponse:
        return ListSIPInboundTrunkResponse(items=store.list_inbound(req.trunk_ids, req.numbers, req.page))

    async def list_outbound(req: ListSIPOutboundTrunkRequest, _c: Claims) -> ListSIPOutboundTrunkResponse:
        return ListSIPOutboundTrunkResponse(items=store.list_outbound(req.trunk_ids, req.numbers, req.page))

    async def delete_trunk(req: DeleteSIPTrunkRequest, _c: Claims) -> SIPTrunkInfo:
        return store.delete_trunk(req.sip_trunk_id)

    async def create_rule(req: CreateSIPDispatchRuleRequest, _c: Claims) -> SIPDispatchRuleInfo:
        return store.create_rule(req)

    async def update_rule(req: UpdateSIPDispatchRuleRequest, _c: Claims) -> SIPDispatchRuleInfo:
        return store.update_rule(req)

    async def list_rules(req: ListSIPDispatchRuleRequest, _c: Claims) -> ListSIPDispatchRuleResponse:
        return ListSIPDispatchRuleResponse(items=store.list_rules(req.dispatch_rule_ids, req.trunk_ids, req.page))

    async def delete_rule(req: DeleteSIPDispatchRuleRequest, _c: Claims) -> SIPDispatchRuleInfo:
        return store.delete_rule(req.sip_dispatch_rule_id)

    admin = auth.sip_admin
    return [
        Route(SVC, "CreateSIPInboundTrunk", CreateSIPInboundTrunkRequest, create_inbound, admin),
        Route(SVC, "CreateSIPOutboundTrunk", CreateSIPOutboundTrunkRequest, create_outbound, admin),
        Route(SVC, "UpdateSIPInboundTrunk", UpdateSIPInboundTrunkRequest, update_inbound, admin),
        Route(SVC, "UpdateSIPOutboundTrunk", UpdateSIPOutboundTrunkRequest, update_outbound, admin),
        Route(SVC, "ListSIPInboundTrunk", ListSIPInboundTrunkRequest, list_inbound, admin),
        Route(SVC, "ListSIPOutboundTrunk", ListSIPOutboundTrunkRequest, list_outbound, admin),
        Route(SVC, "DeleteSIPTrunk", DeleteSIPTrunkRequest, delete_trunk, admin),
        Route(SVC, "CreateSIPDispatchRule", CreateSIPDispatchRuleRequest, create_rule, admin),
        Route(SVC, "UpdateSIPDispatchRule", UpdateSIPDispatchRuleRequest, update_rule, admin),
        Route(SVC, "ListSIPDispatchRule", ListSIPDispatchRuleRequest, list_rules, admin),
        Route(SVC, "DeleteSIPDispatchRule", DeleteSIPDispatchRuleRequest, delete_rule, admin),
    ]
