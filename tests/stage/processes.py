"""Child processes of the stage (redis-server, livekit-server, livekit-sip, sipp): started on loopback ports, logs
kept in the session's tmp folder, and stopped with SIGTERM (then SIGKILL) by the process id the fixture started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class StageProcessError(RuntimeError):
    """A stage process did not start, or died; the message carries the tail of its log."""


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` for both TCP and UDP (SIP listens on both)."""
    for _ in range(50):
        port = free_udp_port(host)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((host, port))
            return port
        except OSError:
            continue
    raise StageProcessError(f"no port free for both TCP and UDP on {host}")


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
            return bool(200 <= response.status < 300)
    except OSError:
        return False


class StageProcess:
    """One child process with its log file; ``stop`` ends exactly the process it started."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, *, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self._proc = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, ready: Callable[[], bool], timeout_s: float = READY_TIMEOUT_S) -> None:
        """Polls ``ready`` (a port or health check: the process gives no other signal) until true."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise StageProcessError(
                    f"{self.name} exited with {self._proc.returncode} before it was ready; log {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(0.1)
        raise StageProcessError(f"{self.name} not ready after {timeout_s:.0f} s; log {self.log_path}:\n"
                                f"{self.log_tail()}")

    def stop(self) -> None:
        if self.alive():
            os.killpg(self._proc.pid, signal.SIGTERM)  # its own session: the process and its children only
            try:
                self._proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(STOP_TIMEOUT_S)
        self._log.close()
