"""What LiveKit should hold, computed from settings alone (no I/O), as the protobufs the API takes.

Resources are found again by these stable names, so renaming one here orphans the old one in LiveKit.
The dispatch rule's `trunk_ids` is left empty: the planner binds it to the inbound trunk's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.duration_pb2 import Duration
from livekit.protocol.agent_dispatch import RoomAgentDispatch
from livekit.protocol.room import RoomConfiguration
from livekit.protocol.sip import (
    SIPDispatchRule,
    SIPDispatchRuleIndividual,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPTransport,
)

from config.settings import Settings
from dialer import agent_dispatch
from dialer.phones import InvalidPhoneNumber, normalize_phone
from dialer.provisioning.errors import ProvisioningError

OUTBOUND_TRUNK_NAME = "dialer-outbound"
INBOUND_TRUNK_NAME = "dialer-briefing-inbound"
DISPATCH_RULE_NAME = "dialer-briefing-rule"

_TRANSPORTS = {
    "auto": SIPTransport.SIP_TRANSPORT_AUTO,
    "udp": SIPTransport.SIP_TRANSPORT_UDP,
    "tcp": SIPTransport.SIP_TRANSPORT_TCP,
    "tls": SIPTransport.SIP_TRANSPORT_TLS,
}


@dataclass(frozen=True)
class DesiredState:
    """None for a resource the configuration does not manage (it is then left alone in LiveKit)."""

    outbound: SIPOutboundTrunkInfo | None
    inbound: SIPInboundTrunkInfo | None
    rule: SIPDispatchRuleInfo | None


def desired_state(settings: Settings) -> DesiredState:
    """The trunks and dispatch rule the settings declare; a bad or incomplete setting is named."""
    outbound = _outbound(settings)
    inbound, rule = _briefing(settings)
    if outbound is None and inbound is None:
        raise ProvisioningError(
            "nothing to provision: set DIALER_SIP_OUTBOUND_ADDRESS and DIALER_SIP_OUTBOUND_NUMBERS "
            "(outbound trunk) and/or DIALER_BRIEFING_NUMBER (briefing inbound trunk and dispatch rule)"
        )
    return DesiredState(outbound=outbound, inbound=inbound, rule=rule)


def _outbound(settings: Settings) -> SIPOutboundTrunkInfo | None:
    address = (settings.sip_outbound_address or "").strip()
    username = settings.sip_outbound_username or ""
    password = settings.sip_outbound_password or ""
    if not address:
        if settings.sip_outbound_numbers or username or password:
            raise ProvisioningError("DIALER_SIP_OUTBOUND_ADDRESS: required with the other DIALER_SIP_OUTBOUND_* settings")
        return None
    if address.startswith(("sip:", "sips:")) or any(mark in address for mark in ("@", ";", "/")):
        raise ProvisioningError("DIALER_SIP_OUTBOUND_ADDRESS: use the carrier's host name or IP, not a SIP URI")
    if not settings.sip_outbound_numbers:
        raise ProvisioningError("DIALER_SIP_OUTBOUND_NUMBERS: at least one caller id number is required")
    if bool(username) != bool(password):
        raise ProvisioningError("DIALER_SIP_OUTBOUND_USERNAME/DIALER_SIP_OUTBOUND_PASSWORD: set both or neither")
    return SIPOutboundTrunkInfo(
        name=OUTBOUND_TRUNK_NAME,
        address=address,
        transport=_TRANSPORTS[settings.sip_outbound_transport],
        numbers=_numbers(settings.sip_outbound_numbers, settings.default_region, "DIALER_SIP_OUTBOUND_NUMBERS"),
        auth_username=username,
        auth_password=password,
    )


def _briefing(settings: Settings) -> tuple[SIPInboundTrunkInfo | None, SIPDispatchRuleInfo | None]:
    raw = [part for part in (settings.briefing_number or "").split(",") if part.strip()]
    if not raw:
        return None, None
    if bool(settings.briefing_sip_username) != bool(settings.briefing_sip_password):
        raise ProvisioningError("DIALER_BRIEFING_SIP_USERNAME/DIALER_BRIEFING_SIP_PASSWORD: set both or neither")
    inbound = SIPInboundTrunkInfo(
        name=INBOUND_TRUNK_NAME,
        numbers=_numbers(raw, settings.default_region, "DIALER_BRIEFING_NUMBER"),
        krisp_enabled=True,  # noise cancellation on the caller's audio: interviewers call from anywhere
        # livekit/sip keeps an inbound call ringing until an agent's track is subscribed, for 3 minutes unless the
        # trunk says otherwise: with no agent free, the caller would hear ringing all that time.
        ringing_timeout=Duration(seconds=settings.briefing_ringing_timeout_s),
        # Only the carrier may hand calls to the trunk (then caller ID can be believed, see README "Security").
        allowed_addresses=settings.briefing_allowed_addresses,
        auth_username=settings.briefing_sip_username or "",
        auth_password=settings.briefing_sip_password or "",
    )
    rule = SIPDispatchRuleInfo(
        name=DISPATCH_RULE_NAME,
        rule=SIPDispatchRule(dispatch_rule_individual=SIPDispatchRuleIndividual(room_prefix=agent_dispatch.BRIEFING_ROOM_PREFIX)),
        # Mode only: attributes are visible to everyone in the room, and this metadata is the same for every
        # caller, so no credential may go in either (the agent uses its own credential to identify callers).
        attributes=agent_dispatch.briefing_attributes(),
        room_config=RoomConfiguration(agents=[RoomAgentDispatch(
            agent_name=settings.agent_name, metadata=agent_dispatch.inbound_briefing_metadata(),
        )]),
    )
    return inbound, rule


def _numbers(raw: list[str], region: str, setting: str) -> list[str]:
    """E.164, de-duplicated in the configured order (LiveKit matches numbers as E.164 strings)."""
    numbers: list[str] = []
    for position, value in enumerate(raw, start=1):
        try:
            number = normalize_phone(value, default_region=region)
        except InvalidPhoneNumber as exc:
            raise ProvisioningError(f"{setting}: number {position}: {exc}") from None
        if number not in numbers:
            numbers.append(number)
    return numbers
