"""livekit-sip in the session's own network namespace: its traffic, and livekit-server's, stays on loopback and the
namespace's veth, never on one of this machine's own addresses.

The proof is what each side saw: the ICE candidates livekit-server logs for the SIP participant when it becomes
active (its own and the participant's, the selected pair marked), and the sockets (`ss`) inside the namespace and
of livekit-server outside it, during an answered call.
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import uuid

import pytest
from livekit import api
from livekit.protocol.sip import CreateSIPParticipantRequest

from tests.stage.fixtures import StageTrunk
from tests.stage.netns import PREFIX, create_namespace, links, namespaces, remove_namespace, remove_stale
from tests.stage.phone import SipPhone
from tests.stage.stage import Stage

pytestmark = pytest.mark.stage

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
WILDCARDS = {"0.0.0.0", "*", "::", "[::]"}


def _active_candidates(stage: Stage, room: str, identity: str) -> list[str]:
    """The candidates of livekit-server's "participant active" line for ``identity`` in ``room``."""
    server = next(p for p in stage.processes if p.name == "livekit-server")
    for line in server.log_path.read_text(errors="replace").splitlines():
        if "participant active" not in line or f'"room": "{room}"' not in line:
            continue
        fields = json.loads(line[line.index("{"):])
        if fields.get("participant") == identity:
            return [c for key, value in fields.items() if key.endswith("Candidates") for c in value]
    raise AssertionError(f"no 'participant active' for {identity} in {room}:\n{server.log_tail()}")


def _candidate_address(candidate: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``[remote][selected:1][trickle] udp host 10.213.0.2:44070`` -> 10.213.0.2 (a truncated one fails)."""
    match = re.search(r" (?:udp|tcp)\d? (?:host|srflx|prflx|relay) (\S+):(\d+)", candidate)
    assert match, f"candidate not understood: {candidate}"
    return ipaddress.ip_address(match.group(1))


def _sockets(argv: list[str]) -> list[tuple[str, str, str]]:
    """(local host, peer host, process) of every TCP and UDP socket `ss` lists."""
    out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True).stdout
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 6:
            continue
        local, peer = (p.rsplit(":", 1)[0].split("%")[0] for p in parts[4:6])
        rows.append((local.strip("[]") or local, peer.strip("[]") or peer, " ".join(parts[6:])))
    return rows


def _inside(host: str, *networks: ipaddress.IPv4Network) -> bool:
    if host in WILDCARDS:
        return True
    address = ipaddress.ip_address(host)
    return any(address in network for network in networks)


async def test_livekit_sip_reaches_livekit_server_only_over_the_namespace_veth(
    stage: Stage, phone: SipPhone, stage_trunk: StageTrunk,
) -> None:
    namespace = stage.namespace
    assert namespace.name.startswith(PREFIX) and namespace.name in namespaces()
    routes = namespace.run(["ip", "-4", "route"]).strip().splitlines()
    assert routes == [f"{namespace.network} dev {namespace.inner.interface} proto kernel scope link src "
                      f"{namespace.inner.address}"], routes  # no default route: nowhere else to go

    room = f"netns-{uuid.uuid4().hex[:8]}"
    async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
        await lk.sip.create_sip_participant(CreateSIPParticipantRequest(
            sip_trunk_id=stage_trunk.trunk_id, sip_call_to="+12125550116", room_name=room,
            participant_identity="callee", wait_until_answered=True,
        ), timeout=30)
        try:
            candidates = _active_candidates(stage, room, "callee")
            inside = _sockets(namespace.exec_argv(["ss", "-tuanp"]))
            server = next(p for p in stage.processes if p.name == "livekit-server")
            outside = [s for s in _sockets(["ss", "-tuanp"]) if f"pid={server.pid}," in s[2]]
        finally:
            await lk.room.delete_room(api.DeleteRoomRequest(room=room))

    remote = [c for c in candidates if c.startswith("[remote]")]
    local = [c for c in candidates if c.startswith("[local]")]
    assert any("[selected:" in c for c in remote), candidates
    assert all(_candidate_address(c) == ipaddress.ip_address(namespace.inner.address) for c in remote), candidates
    assert all(_candidate_address(c) == ipaddress.ip_address(namespace.outer.address) for c in local), candidates

    assert any("livekit-sip" in s[2] for s in inside), inside
    strays = [s for s in inside if not (_inside(s[0], namespace.network, LOOPBACK)
                                        and _inside(s[1], namespace.network, LOOPBACK))]
    assert strays == [], inside
    assert any(peer == namespace.outer.address for _, peer, _ in inside), inside  # its leg to the server, on the veth
    assert outside, "ss shows no socket of livekit-server"
    strays = [s for s in outside if s[0] in WILDCARDS or not _inside(s[0], namespace.network, LOOPBACK)]
    assert strays == [], outside


def test_a_killed_sessions_namespace_and_veth_are_removed_by_the_next_session(stage: Stage) -> None:
    """A session killed before its teardown leaves its namespace (or, killed earlier, an outer veth end); a pid over
    the kernel's pid_max belongs to no process, so these are a dead session's."""
    dead = int(open("/proc/sys/kernel/pid_max").read()) + 1
    stale_ns, stale_link = f"{PREFIX}{dead}-0", f"dls{dead}-0h"
    subprocess.run(["ip", "netns", "add", stale_ns], check=True, timeout=10)
    subprocess.run(["ip", "link", "add", stale_link, "type", "veth", "peer", "name", f"dls{dead}-0n"], check=True,
                   timeout=10)
    try:
        removed = remove_stale()
        assert {stale_ns, stale_link} <= set(removed)
        assert stale_ns not in namespaces() and stale_link not in links() and f"dls{dead}-0n" not in links()
        assert stage.namespace.name in namespaces()  # a live session's is kept
    finally:
        for argv in (["ip", "netns", "delete", stale_ns], ["ip", "link", "delete", stale_link]):
            subprocess.run(argv, capture_output=True, timeout=10)


def test_removing_the_namespace_takes_its_veth_pair_with_it(stage: Stage) -> None:
    made = create_namespace(index=1)
    assert made.network != stage.namespace.network
    assert made.outer.interface in links() and made.name in namespaces()
    remove_namespace(made)
    assert made.name not in namespaces()
    assert made.outer.interface not in links() and made.inner.interface not in links()
