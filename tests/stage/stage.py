"""The stage: Redis and livekit-server on loopback and the session's veth, livekit-sip in a namespace of its own.

Redis and livekit-server bind 127.0.0.1 (for the tests and the dialer) and the outer end of the session's veth pair
(``tests/stage/netns.py``), on ports picked free at start; the API key and secret are made per session. livekit-sip
runs inside the namespace, whose only way out is the veth: it reaches Redis and livekit-server at the outer end, and
listens for SIP and RTP on the inner end, where the phone (bound to the outer end) sends its calls and media.
livekit-server runs with ``--dev`` (its development mode) but with Redis, which livekit-sip needs to reach it (the
SIP service and the server talk over psrpc through Redis). Its webhooks go to the session's ``WebhookRelay``.
Configuration keys were taken from livekit-server v1.13.5's ``pkg/config`` (with mediatransportutil's
``rtcconfig``) and livekit-sip v1.8.0's ``pkg/config``. RTC is pinned to the veth: ICE gathers on its outer
interface only, ``node_ip`` (which rewrites every host candidate) is its address, and ICE over TCP is off (its
listener would bind every interface); livekit-sip's signalling and media addresses are the inner end's.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tests.stage.build import StageBinaries
from tests.stage.netns import Namespace, create_namespace, remove_namespace
from tests.stage.processes import (
    StageProcess,
    free_tcp_port,
    free_udp_port,
    http_ok,
    tcp_open,
)
from tests.stage.webhook_relay import WebhookRelay

# the namespace is livekit-sip's alone: its standard ports are free there
SIP_PORT = 5060
RTP_RANGE = (20000, 20199)


@dataclass
class Stage:
    """A running stage; ``url`` is what LiveKitAPI and agents are given."""

    api_key: str
    api_secret: str
    url: str
    sip_port: int
    redis_port: int
    webhooks: WebhookRelay
    binaries: StageBinaries
    log_dir: Path
    namespace: Namespace
    processes: list[StageProcess] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    @property
    def sip_address(self) -> str:
        """livekit-sip's SIP listener (in its namespace), where calls to an inbound trunk go."""
        return f"{self.namespace.inner.address}:{self.sip_port}"

    def logs(self, lines: int = 30) -> str:
        """The tail of each process's log, for failure messages."""
        return "\n".join(f"--- {p.name} ({p.log_path}) ---\n{p.log_tail(lines)}" for p in self.processes)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.webhooks.stop()
        remove_namespace(self.namespace)


def _yaml(data: object) -> str:
    """JSON is YAML: no YAML library needed to write the configuration files."""
    return json.dumps(data, indent=2)


def server_config(*, port: int, rtc_udp_port: int, redis_port: int, api_key: str, api_secret: str,
                  webhook_url: str, namespace: Namespace) -> dict[str, object]:
    return {
        "port": port,
        "bind_addresses": ["127.0.0.1", namespace.outer.address],
        "keys": {api_key: api_secret},
        "redis": {"address": f"127.0.0.1:{redis_port}"},
        "rtc": {
            "udp_port": str(rtc_udp_port),
            "tcp_port": 0,
            "node_ip": namespace.outer.address,
            "use_external_ip": False,
            "enable_loopback_candidate": False,
            "interfaces": {"includes": [namespace.outer.interface]},
        },
        "webhook": {"api_key": api_key, "urls": [webhook_url]},
        # the server sends a job only to a worker whose reported load (the machine's CPU) is under this (0.7 by
        # default): a shared 2-core test machine is often busier than that, so it would never dispatch an agent
        "agents": {"target_load": 2.0},
        "logging": {"level": "info", "pion_level": "error"},
    }


def sip_config(*, server_port: int, redis_port: int, api_key: str, api_secret: str, sip_port: int,
               rtp_range: tuple[int, int], namespace: Namespace) -> dict[str, object]:
    return {
        "api_key": api_key,
        "api_secret": api_secret,
        "ws_url": f"ws://{namespace.outer.address}:{server_port}",
        "redis": {"address": f"{namespace.outer.address}:{redis_port}"},
        "sip_port": sip_port,
        "listen_ip": namespace.inner.address,
        "nat_1_to_1_ip": namespace.inner.address,
        "rtp_port": f"{rtp_range[0]}-{rtp_range[1]}",
        "logging": {"level": "debug"},
        "max_cpu_utilization": 1.0,  # a shared 2-core test machine is often busy: never refuse calls for load
    }


def start_stage(binaries: StageBinaries, log_dir: Path, redis_server: str) -> Stage:
    """Makes the namespace, starts Redis, then livekit-server, then livekit-sip, each waited for; undoes all of it
    on failure."""
    namespace = create_namespace()
    api_key = f"stage{secrets.token_hex(4)}"
    api_secret = secrets.token_urlsafe(32)
    webhooks = WebhookRelay()
    try:
        webhooks.start()
    except BaseException:
        remove_namespace(namespace)
        raise
    redis_port, server_port = free_tcp_port(), free_tcp_port()
    stage = Stage(
        api_key=api_key, api_secret=api_secret, url=f"http://127.0.0.1:{server_port}", sip_port=SIP_PORT,
        redis_port=redis_port, webhooks=webhooks, binaries=binaries, log_dir=log_dir, namespace=namespace,
    )
    try:
        redis = StageProcess(
            "redis-server",
            # protected mode refuses clients off loopback when there is no password; livekit-sip is one, on the veth
            [redis_server, "--bind", "127.0.0.1", namespace.outer.address, "--protected-mode", "no",
             "--port", str(redis_port), "--save", "", "--appendonly", "no", "--dir", str(log_dir)],
            log_dir / "redis.log",
        )
        stage.processes.append(redis)
        redis.wait_ready(lambda: tcp_open(redis_port))

        server_yaml = log_dir / "livekit-server.yaml"
        server_yaml.write_text(_yaml(server_config(
            port=server_port, rtc_udp_port=free_udp_port(), redis_port=redis_port, api_key=api_key,
            api_secret=api_secret, webhook_url=webhooks.url, namespace=namespace,
        )))
        server = StageProcess(
            "livekit-server", [str(binaries.livekit_server), "--dev", "--config", str(server_yaml)],
            log_dir / "livekit-server.log",
        )
        stage.processes.append(server)
        server.wait_ready(lambda: http_ok(stage.url))

        sip_yaml = log_dir / "livekit-sip.yaml"
        sip_yaml.write_text(_yaml(sip_config(
            server_port=server_port, redis_port=redis_port, api_key=api_key, api_secret=api_secret,
            sip_port=stage.sip_port, rtp_range=RTP_RANGE, namespace=namespace,
        )))
        sip = StageProcess(
            "livekit-sip", namespace.exec_argv([str(binaries.livekit_sip), "--config", str(sip_yaml)]),
            log_dir / "livekit-sip.log",
        )
        stage.processes.append(sip)
        # no health port (the namespace is the sip's alone, but its SIP listener is the signal that matters)
        sip.wait_ready(lambda: tcp_open(stage.sip_port, namespace.inner.address))
    except BaseException:
        stage.stop()
        raise
    return stage
