"""The session's own network namespace, where livekit-sip runs, joined to this one by a veth pair on a private /30.

livekit-sip's WebRTC client never uses loopback addresses: on the machine's own network stack its leg to
livekit-server would use the machine's address. In a namespace of its own it has nothing but the veth's inner end
(and a loopback of its own), and no route anywhere else, so its signalling, Redis, WebRTC and SIP traffic can only go
to the veth's outer end, which livekit-server, Redis and the phone bind. The namespace is named
``dialer-stage-<pid>-<n>`` after the test session that made it, its veth ends ``dls<pid>-<n>h`` (here) and
``dls<pid>-<n>n`` (inside); a namespace whose session is gone is removed by the next session. Deleting the namespace deletes its veth
end, and with it the pair.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PREFIX = "dialer-stage-"
LINK_PREFIX = "dls"
# /30s are taken from this block (RFC 1918); one is never reused while an address of it is on this machine
BLOCK = ipaddress.ip_network("10.213.0.0/16")
LOCK_PATH = Path("/run/lock/dialer-stage-netns.lock")
IP_TIMEOUT_S = 10.0


class NamespaceError(RuntimeError):
    """An `ip` command failed; the message carries its output."""


@dataclass(frozen=True)
class VethEnd:
    """One end of the veth pair: its interface and its address (both /30)."""

    interface: str
    address: str


@dataclass(frozen=True)
class Namespace:
    name: str
    outer: VethEnd  # on this machine's stack: livekit-server, Redis and the phone bind it
    inner: VethEnd  # inside the namespace: livekit-sip's only address besides its own loopback
    network: ipaddress.IPv4Network

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace (`ip netns exec` execs it: the process id stays the command's)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str]) -> str:
        return _ip_output(self.exec_argv(argv))


def _ip_output(argv: Sequence[str]) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=IP_TIMEOUT_S)
    if done.returncode != 0:
        raise NamespaceError(f"`{' '.join(argv)}` failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _ip(*args: str) -> str:
    return _ip_output(["ip", *args])


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _owner(name: str, prefix: str, suffix: str = "") -> int | None:
    """The process id in a name this module gave, else None."""
    match = re.fullmatch(rf"{re.escape(prefix)}(\d+)-\d+{re.escape(suffix)}", name)
    return int(match.group(1)) if match else None


def namespaces() -> list[str]:
    return [line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()]


def links() -> list[str]:
    return [line.split()[0].split("@")[0] for line in _ip("-br", "link").splitlines() if line.strip()]


def _delete_link(name: str) -> None:
    """Deletes a veth end (the pair goes with it); one that is already gone is skipped. A namespace's deletion frees
    its veth asynchronously in the kernel, so a link listed a moment ago may be gone by now."""
    try:
        _ip("link", "delete", name)
    except NamespaceError:
        if name in links():
            raise


def remove_stale() -> list[str]:
    """Removes the namespaces (and stray outer veth ends) of stage sessions that no longer run; returns their names."""
    removed = []
    for name in namespaces():
        pid = _owner(name, PREFIX)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            _ip("netns", "delete", name)
            removed.append(name)
    for link in links():
        pid = _owner(link, LINK_PREFIX, "h")
        if pid is not None and pid != os.getpid() and not _alive(pid):
            _delete_link(link)
            removed.append(link)
    return removed


def _addresses_in_use() -> set[ipaddress.IPv4Address]:
    used = set()
    for line in _ip("-4", "-o", "addr", "show").splitlines():
        match = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", line)
        if match:
            used.add(ipaddress.ip_address(match.group(1)))
    return {a for a in used if isinstance(a, ipaddress.IPv4Address)}


def _free_subnet(pid: int) -> ipaddress.IPv4Network:
    used = _addresses_in_use()
    subnets = list(BLOCK.subnets(new_prefix=30))
    start = pid % len(subnets)
    for offset in range(len(subnets)):  # bounded: each /30 of the block once
        subnet = subnets[(start + offset) % len(subnets)]
        if not any(address in subnet for address in used):
            return subnet
    raise NamespaceError(f"no /30 of {BLOCK} is free")


def create_namespace(index: int = 0) -> Namespace:
    """A namespace of this session's (``index`` tells its own apart), its veth pair up with a /30 of its own, loopback
    up inside; stale ones removed first. Made under a machine-wide lock, so two sessions starting at once never take
    the same /30.
    """
    pid = os.getpid()
    LOCK_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_PATH, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        remove_stale()
        subnet = _free_subnet(pid + index)
        outer_ip, inner_ip = (str(host) for host in subnet.hosts())
        namespace = Namespace(
            name=f"{PREFIX}{pid}-{index}", outer=VethEnd(f"{LINK_PREFIX}{pid}-{index}h", outer_ip),
            inner=VethEnd(f"{LINK_PREFIX}{pid}-{index}n", inner_ip), network=subnet,
        )
        remove_namespace(namespace)  # a dead session's of the same process id (pids are reused)
        try:
            _ip("netns", "add", namespace.name)
            _ip("link", "add", namespace.outer.interface, "type", "veth", "peer", "name", namespace.inner.interface)
            _ip("link", "set", namespace.inner.interface, "netns", namespace.name)
            # IPv4 only: no IPv6 link-local address on either end (WebRTC would gather it too)
            _ip("link", "set", namespace.outer.interface, "addrgenmode", "none")
            _ip("addr", "add", f"{outer_ip}/30", "dev", namespace.outer.interface)
            _ip("link", "set", namespace.outer.interface, "up")
            namespace.run(["ip", "link", "set", namespace.inner.interface, "addrgenmode", "none"])
            namespace.run(["ip", "addr", "add", f"{inner_ip}/30", "dev", namespace.inner.interface])
            namespace.run(["ip", "link", "set", namespace.inner.interface, "up"])
            namespace.run(["ip", "link", "set", "lo", "up"])
        except BaseException:
            remove_namespace(namespace)
            raise
    return namespace


def remove_namespace(namespace: Namespace) -> None:
    """Deletes the veth pair, then the namespace; what is already gone is skipped.

    The pair first, by its outer end: deleting a link is synchronous, while deleting a namespace frees its devices
    later, in the kernel's own time (a link listed just after `ip netns delete` may vanish a moment later)."""
    if namespace.outer.interface in links():
        _delete_link(namespace.outer.interface)
    if namespace.name in namespaces():
        _ip("netns", "delete", namespace.name)
