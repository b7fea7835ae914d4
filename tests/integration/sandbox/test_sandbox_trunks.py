"""SIP trunk and dispatch-rule CRUD through the real client: updates really update, duplicates conflict."""

from __future__ import annotations

import pytest
from livekit import api
from livekit.protocol.models import ListUpdate
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    CreateSIPOutboundTrunkRequest,
    DeleteSIPDispatchRuleRequest,
    DeleteSIPTrunkRequest,
    ListSIPDispatchRuleRequest,
    ListSIPInboundTrunkRequest,
    ListSIPOutboundTrunkRequest,
    SIPDispatchRule,
    SIPDispatchRuleIndividual,
    SIPDispatchRuleInfo,
    SIPInboundTrunkInfo,
    SIPOutboundTrunkInfo,
    SIPTrunkInfo,
)

from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import API_KEY, API_SECRET, START, FakeClock, SandboxFactory


@pytest.fixture
async def bare(make_sandbox: SandboxFactory) -> LiveKitSandbox:
    return await make_sandbox(seed_outbound_trunk_id=None)


async def test_seeded_outbound_trunk_is_listed(lkapi: api.LiveKitAPI) -> None:
    listed = await lkapi.sip.list_outbound_trunk(ListSIPOutboundTrunkRequest())
    assert [t.sip_trunk_id for t in listed.items] == ["ST_sandbox"]


async def test_outbound_trunk_round_trip(bare: LiveKitSandbox, clock: FakeClock) -> None:
    async with api.LiveKitAPI(bare.url, API_KEY, API_SECRET) as lk:
        created = await lk.sip.create_outbound_trunk(CreateSIPOutboundTrunkRequest(trunk=SIPOutboundTrunkInfo(
            name="twilio", address="example.pstn.twilio.com", numbers=["+12125550190"], auth_username="u",
        )))
        assert created.sip_trunk_id.startswith("ST_") and created.created_at.seconds == int(START)

        clock.advance(10)
        updated = await lk.sip.update_outbound_trunk_fields(
            created.sip_trunk_id, numbers=ListUpdate(add=["+12125550191"]), name="twilio-main",
        )
        assert list(updated.numbers) == ["+12125550190", "+12125550191"]
        assert (updated.name, updated.address, updated.auth_username) == ("twilio-main", "example.pstn.twilio.com", "u")
        assert updated.updated_at.seconds == int(START) + 10 and updated.created_at.seconds == int(START)

        replaced = await lk.sip.update_outbound_trunk(created.sip_trunk_id, SIPOutboundTrunkInfo(
            name="telnyx", address="sip.telnyx.com", numbers=["+12125550192"],
        ))
        assert (replaced.sip_trunk_id, replaced.name, replaced.auth_username) == (created.sip_trunk_id, "telnyx", "")

        listed = await lk.sip.list_outbound_trunk(ListSIPOutboundTrunkRequest())
        assert [(t.sip_trunk_id, t.name) for t in listed.items] == [(created.sip_trunk_id, "telnyx")]
        by_number = await lk.sip.list_outbound_trunk(ListSIPOutboundTrunkRequest(numbers=["+10000000000"]))
        assert by_number.items == []

        deleted = await lk.sip.delete_trunk(DeleteSIPTrunkRequest(sip_trunk_id=created.sip_trunk_id))
        assert deleted.kind == SIPTrunkInfo.TrunkKind.TRUNK_OUTBOUND and deleted.outbound_address == "sip.telnyx.com"
        assert bare.outbound_trunks == {}
        with pytest.raises(api.ServerError) as caught:
            await lk.sip.delete_trunk(DeleteSIPTrunkRequest(sip_trunk_id=created.sip_trunk_id))
        assert caught.value.code == "not_found"


async def test_outbound_trunk_validation(lkapi: api.LiveKitAPI) -> None:
    for trunk in (
        SIPOutboundTrunkInfo(address="sip.example.com"),
        SIPOutboundTrunkInfo(numbers=["+12125550190"]),
        SIPOutboundTrunkInfo(address="sip:trunk@example.com", numbers=["+12125550190"]),
    ):
        with pytest.raises(api.ServerError) as caught:
            await lkapi.sip.create_outbound_trunk(CreateSIPOutboundTrunkRequest(trunk=trunk))
        assert (caught.value.code, caught.value.status) == ("invalid_argument", 400)
    with pytest.raises(api.ServerError) as caught:
        await lkapi.sip.update_outbound_trunk_fields("ST_sandbox", numbers=ListUpdate(remove=["+12125550199"]))
    assert caught.value.code == "invalid_argument"  # a trunk with no numbers is refused on update too
    with pytest.raises(api.ServerError) as caught:
        await lkapi.sip.update_outbound_trunk_fields("ST_missing", name="x")
    assert caught.value.code == "not_found"


async def test_inbound_trunk_round_trip_and_conflict(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    created = await lkapi.sip.create_inbound_trunk(CreateSIPInboundTrunkRequest(
        trunk=SIPInboundTrunkInfo(name="briefing", numbers=["+12125550180"]),
    ))
    with pytest.raises(api.ServerError) as caught:
        await lkapi.sip.create_inbound_trunk(CreateSIPInboundTrunkRequest(
            trunk=SIPInboundTrunkInfo(name="briefing again", numbers=["+12125550180"]),
        ))
    assert caught.value.code == "invalid_argument"

    updated = await lkapi.sip.update_inbound_trunk_fields(
        created.sip_trunk_id, allowed_numbers=["+12125550170"], metadata="v2",
    )
    assert list(updated.allowed_numbers) == ["+12125550170"] and updated.metadata == "v2"
    assert list(updated.numbers) == ["+12125550180"]
    listed = await lkapi.sip.list_inbound_trunk(ListSIPInboundTrunkRequest(numbers=["+12125550180"]))
    assert [t.metadata for t in listed.items] == ["v2"]

    deleted = await lkapi.sip.delete_trunk(DeleteSIPTrunkRequest(sip_trunk_id=created.sip_trunk_id))
    assert deleted.kind == SIPTrunkInfo.TrunkKind.TRUNK_INBOUND
    assert sandbox.inbound_trunks == {}
    with pytest.raises(api.ServerError):
        await lkapi.sip.create_inbound_trunk(CreateSIPInboundTrunkRequest(trunk=SIPInboundTrunkInfo(name="open")))


def _individual(prefix: str) -> SIPDispatchRule:
    return SIPDispatchRule(dispatch_rule_individual=SIPDispatchRuleIndividual(room_prefix=prefix))


async def test_dispatch_rule_round_trip(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    trunk = await lkapi.sip.create_inbound_trunk(CreateSIPInboundTrunkRequest(
        trunk=SIPInboundTrunkInfo(name="briefing", numbers=["+12125550180"]),
    ))
    rule = await lkapi.sip.create_dispatch_rule(CreateSIPDispatchRuleRequest(dispatch_rule=SIPDispatchRuleInfo(
        name="briefing", rule=_individual("brief-"), trunk_ids=[trunk.sip_trunk_id],
        attributes={"dialer.mode": "briefing", "old": "x"},
    )))
    assert rule.sip_dispatch_rule_id.startswith("SDR_")

    updated = await lkapi.sip.update_dispatch_rule_fields(
        rule.sip_dispatch_rule_id, name="briefing-v2", attributes={"old": "", "dialer.version": "2"},
    )
    assert updated.name == "briefing-v2"
    assert dict(updated.attributes) == {"dialer.mode": "briefing", "dialer.version": "2"}
    assert updated.rule.dispatch_rule_individual.room_prefix == "brief-"

    replaced = await lkapi.sip.update_dispatch_rule(rule.sip_dispatch_rule_id, SIPDispatchRuleInfo(
        name="briefing-v3", rule=_individual("b3-"), trunk_ids=[trunk.sip_trunk_id],
    ))
    assert replaced.rule.dispatch_rule_individual.room_prefix == "b3-" and not replaced.attributes

    by_trunk = await lkapi.sip.list_dispatch_rule(ListSIPDispatchRuleRequest(trunk_ids=[trunk.sip_trunk_id]))
    assert [r.name for r in by_trunk.items] == ["briefing-v3"]
    assert (await lkapi.sip.list_dispatch_rule(ListSIPDispatchRuleRequest(trunk_ids=["ST_other"]))).items == []

    deleted = await lkapi.sip.delete_dispatch_rule(DeleteSIPDispatchRuleRequest(
        sip_dispatch_rule_id=rule.sip_dispatch_rule_id,
    ))
    assert deleted.name == "briefing-v3" and sandbox.dispatch_rules == {}


async def test_duplicate_dispatch_rule_conflicts_and_legacy_fields_work(lkapi: api.LiveKitAPI) -> None:
    await lkapi.sip.create_dispatch_rule(CreateSIPDispatchRuleRequest(
        rule=_individual("a-"), trunk_ids=["ST_a"], name="legacy",
    ))
    with pytest.raises(api.ServerError) as caught:
        await lkapi.sip.create_dispatch_rule(CreateSIPDispatchRuleRequest(rule=_individual("b-"), name="any trunk"))
    assert caught.value.code == "invalid_argument"
    other = await lkapi.sip.create_dispatch_rule(CreateSIPDispatchRuleRequest(
        rule=_individual("c-"), trunk_ids=["ST_c"],
    ))
    assert list(other.trunk_ids) == ["ST_c"]
    with pytest.raises(api.ServerError) as caught:
        await lkapi.sip.create_dispatch_rule(CreateSIPDispatchRuleRequest(trunk_ids=["ST_d"]))
    assert caught.value.code == "invalid_argument"  # no rule


async def test_pagination_after_id_and_limit(lkapi: api.LiveKitAPI) -> None:
    ids = []
    for n in range(3):
        trunk = await lkapi.sip.create_outbound_trunk(CreateSIPOutboundTrunkRequest(trunk=SIPOutboundTrunkInfo(
            address="sip.example.com", numbers=[f"+1212555019{n}"],
        )))
        ids.append(trunk.sip_trunk_id)
    request = ListSIPOutboundTrunkRequest()
    request.page.after_id, request.page.limit = ids[0], 1
    listed = await lkapi.sip.list_outbound_trunk(request)
    assert [t.sip_trunk_id for t in listed.items] == [ids[1]]
