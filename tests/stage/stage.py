"""The stage: Redis, livekit-server and livekit-sip on loopback, configured by files the test writes.

Everything binds to 127.0.0.1 on ports picked free at start; the API key and secret are made per session.
livekit-server runs with ``--dev`` (its development mode) but with Redis, which livekit-sip needs to reach it (the
SIP service and the server talk over psrpc through Redis). Its webhooks go to the session's ``WebhookRelay``.
Configuration keys were taken from livekit-server v1.13.5's ``pkg/config`` and livekit-sip v1.8.0's
``pkg/config``; RTC is pinned to loopback: ``node_ip`` 127.0.0.1 with the loopback candidate on and every other
interface filtered out, and livekit-sip's signalling and media addresses are 127.0.0.1.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tests.stage.build import StageBinaries
from tests.stage.processes import (
    StageProcess,
    free_port_pair,
    free_tcp_port,
    free_udp_port,
    free_udp_range,
    http_ok,
    tcp_open,
)
from tests.stage.webhook_relay import WebhookRelay


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
    processes: list[StageProcess] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def logs(self, lines: int = 30) -> str:
        """The tail of each process's log, for failure messages."""
        return "\n".join(f"--- {p.name} ({p.log_path}) ---\n{p.log_tail(lines)}" for p in self.processes)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.webhooks.stop()


def _yaml(data: object) -> str:
    """JSON is YAML: no YAML library needed to write the configuration files."""
    return json.dumps(data, indent=2)


def server_config(*, port: int, rtc_udp_port: int, rtc_tcp_port: int, redis_port: int, api_key: str,
                  api_secret: str, webhook_url: str) -> dict[str, object]:
    return {
        "port": port,
        "bind_addresses": ["127.0.0.1"],
        "keys": {api_key: api_secret},
        "redis": {"address": f"127.0.0.1:{redis_port}"},
        "rtc": {
            "udp_port": str(rtc_udp_port),
            "tcp_port": rtc_tcp_port,
            "node_ip": "127.0.0.1",
            "use_external_ip": False,
            "enable_loopback_candidate": True,
            "interfaces": {"includes": ["lo"]},
        },
        "webhook": {"api_key": api_key, "urls": [webhook_url]},
        "logging": {"level": "info", "pion_level": "error"},
    }


def sip_config(*, ws_url: str, redis_port: int, api_key: str, api_secret: str, sip_port: int,
               rtp_range: tuple[int, int]) -> dict[str, object]:
    return {
        "api_key": api_key,
        "api_secret": api_secret,
        "ws_url": ws_url,
        "redis": {"address": f"127.0.0.1:{redis_port}"},
        "sip_port": sip_port,
        "listen_ip": "127.0.0.1",
        "nat_1_to_1_ip": "127.0.0.1",
        "rtp_port": f"{rtp_range[0]}-{rtp_range[1]}",
        "logging": {"level": "debug"},
        "max_cpu_utilization": 1.0,  # a shared 2-core test machine is often busy: never refuse calls for load
    }


def start_stage(binaries: StageBinaries, log_dir: Path, redis_server: str) -> Stage:
    """Starts Redis, then livekit-server, then livekit-sip, each waited for; stops what started on failure."""
    api_key = f"stage{secrets.token_hex(4)}"
    api_secret = secrets.token_urlsafe(32)
    webhooks = WebhookRelay()
    webhooks.start()
    redis_port, server_port = free_tcp_port(), free_tcp_port()
    stage = Stage(
        api_key=api_key, api_secret=api_secret, url=f"http://127.0.0.1:{server_port}", sip_port=free_port_pair(),
        redis_port=redis_port, webhooks=webhooks, binaries=binaries, log_dir=log_dir,
    )
    try:
        redis = StageProcess(
            "redis-server",
            [redis_server, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no",
             "--dir", str(log_dir)],
            log_dir / "redis.log",
        )
        stage.processes.append(redis)
        redis.wait_ready(lambda: tcp_open(redis_port))

        server_yaml = log_dir / "livekit-server.yaml"
        server_yaml.write_text(_yaml(server_config(
            port=server_port, rtc_udp_port=free_udp_port(), rtc_tcp_port=free_tcp_port(), redis_port=redis_port,
            api_key=api_key, api_secret=api_secret, webhook_url=webhooks.url,
        )))
        server = StageProcess(
            "livekit-server", [str(binaries.livekit_server), "--dev", "--config", str(server_yaml)],
            log_dir / "livekit-server.log",
        )
        stage.processes.append(server)
        server.wait_ready(lambda: http_ok(stage.url))

        sip_yaml = log_dir / "livekit-sip.yaml"
        sip_yaml.write_text(_yaml(sip_config(
            ws_url=stage.ws_url, redis_port=redis_port, api_key=api_key, api_secret=api_secret,
            sip_port=stage.sip_port, rtp_range=free_udp_range(200),
        )))
        sip = StageProcess(
            "livekit-sip", [str(binaries.livekit_sip), "--config", str(sip_yaml)], log_dir / "livekit-sip.log",
        )
        stage.processes.append(sip)
        # no health port: livekit-sip binds it on every interface; its SIP listener on loopback is the signal
        sip.wait_ready(lambda: tcp_open(stage.sip_port))
    except BaseException:
        stage.stop()
        raise
    return stage
