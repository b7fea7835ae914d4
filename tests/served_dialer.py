"""`dialer serve` as a real process for tests that need the whole service (the OpenAPI fuzz pass, Try it, shutdown).

One place that picks a loopback port, starts the process with the test's environment, waits for /health and stops it
(SIGTERM, then a kill after 15 s), keeping its log for failure messages.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class ServedDialer:
    base: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(served: ServedDialer, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"dialer serve exited with {served.process.returncode}: {served.log()[-2000:]}")
        try:
            if httpx.get(f"{served.base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a process we started; there is no signal to wait on
    raise AssertionError(f"dialer serve did not answer /health within {timeout_s:.0f} s: {served.log()[-2000:]}")


@contextmanager
def dialer_serve(env: Mapping[str, str], *, cwd: Path, log_path: Path) -> Iterator[ServedDialer]:
    """Yields a healthy `dialer serve` on 127.0.0.1 (DIALER_PORT is chosen here); stops it on the way out."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "dialer", "serve"], cwd=cwd,
                                   env={**env, "DIALER_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT)
        served = ServedDialer(base=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
        try:
            _wait_healthy(served)
            yield served
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
