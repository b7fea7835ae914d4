"""Settings → the protobufs LiveKit should hold: exact values, and each bad setting named (no number echoed)."""

from __future__ import annotations

import json
from typing import Any

import pytest
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

from agent.modes import BriefingJob, resolve_mode
from config.settings import SettingsError
from dialer.provisioning import ProvisioningError, desired_state
from tests.provisioning_testkit import (
    ADDRESS,
    BRIEFING_NUMBER,
    OUTBOUND_NUMBERS,
    PASSWORD,
    USERNAME,
    make_settings,
)


def test_full_configuration_declares_three_resources() -> None:
    desired = desired_state(make_settings())
    assert desired.outbound == SIPOutboundTrunkInfo(
        name="dialer-outbound", address=ADDRESS, transport=SIPTransport.SIP_TRANSPORT_TLS,
        numbers=OUTBOUND_NUMBERS, auth_username=USERNAME, auth_password=PASSWORD,
    )
    assert desired.inbound == SIPInboundTrunkInfo(
        name="dialer-briefing-inbound", numbers=[BRIEFING_NUMBER], krisp_enabled=True,
            ringing_timeout=Duration(seconds=20),  # not LiveKit's 3 minutes of ringing when no agent is free
    )
    assert desired.rule == SIPDispatchRuleInfo(
        name="dialer-briefing-rule",
        rule=SIPDispatchRule(dispatch_rule_individual=SIPDispatchRuleIndividual(room_prefix="briefing-call-")),
        attributes={"dialer.mode": "briefing"},
        room_config=RoomConfiguration(agents=[RoomAgentDispatch(
            agent_name="dialer-agent", metadata=json.dumps({"mode": "briefing"}),
        )]),
    )


def test_the_agent_reads_the_dispatch_as_a_briefing_for_a_caller_to_identify() -> None:
    rule = desired_state(make_settings()).rule
    assert rule is not None
    job = resolve_mode(rule.room_config.agents[0].metadata,
                       {**rule.attributes, "sip.phoneNumber": "+12125550100"})
    assert isinstance(job, BriefingJob) and job.needs_identification and job.channel == "sip"


def test_briefing_numbers_may_be_a_comma_list_and_duplicates_collapse() -> None:
    desired = desired_state(make_settings(briefing_number="+14155550199, 415 555 0198,+14155550199"))
    assert desired.inbound is not None
    assert list(desired.inbound.numbers) == ["+14155550199", "+14155550198"]


def test_only_the_outbound_trunk_without_a_briefing_number() -> None:
    desired = desired_state(make_settings(briefing_number=None))
    assert desired.outbound is not None and desired.inbound is None and desired.rule is None


def test_only_the_briefing_side_without_an_outbound_address() -> None:
    desired = desired_state(make_settings(sip_outbound_address=None, sip_outbound_numbers=[],
                                          sip_outbound_username=None, sip_outbound_password=None))
    assert desired.outbound is None and desired.inbound is not None and desired.rule is not None


def test_ip_authenticated_trunk_has_no_credentials() -> None:
    desired = desired_state(make_settings(sip_outbound_username=None, sip_outbound_password=None,
                                          sip_outbound_transport="auto"))
    assert desired.outbound is not None
    assert (desired.outbound.auth_username, desired.outbound.auth_password) == ("", "")
    assert desired.outbound.transport == SIPTransport.SIP_TRANSPORT_AUTO


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"sip_outbound_address": None}, "DIALER_SIP_OUTBOUND_ADDRESS"),
        ({"sip_outbound_numbers": []}, "DIALER_SIP_OUTBOUND_NUMBERS"),
        ({"sip_outbound_address": "sip:trunk@example.com"}, "DIALER_SIP_OUTBOUND_ADDRESS"),
        ({"sip_outbound_password": None}, "DIALER_SIP_OUTBOUND_USERNAME/DIALER_SIP_OUTBOUND_PASSWORD"),
        ({"sip_outbound_numbers": "+12125550190,+1212555"}, "DIALER_SIP_OUTBOUND_NUMBERS: number 2"),
        ({"briefing_number": "+99912345678"}, "DIALER_BRIEFING_NUMBER: number 1"),
        ({"sip_outbound_address": None, "sip_outbound_numbers": [], "sip_outbound_username": None,
          "sip_outbound_password": None, "briefing_number": None}, "nothing to provision"),
    ],
)
def test_bad_configuration_is_named(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(ProvisioningError) as caught:
        desired_state(make_settings(**overrides))
    assert named in str(caught.value)
    assert "1212555" not in str(caught.value) and "99912345678" not in str(caught.value)


def test_transport_is_validated_by_settings() -> None:
    assert make_settings(sip_outbound_transport=" TCP ").sip_outbound_transport == "tcp"
    with pytest.raises(SettingsError) as caught:
        make_settings(sip_outbound_transport="quic")
    assert "DIALER_SIP_OUTBOUND_TRANSPORT" in str(caught.value)
