"""The product as processes on the stage: ``dialer serve`` and ``python -m agent start``, each configured only by
its environment exactly as in production, plus the recruiter's webhook receiver they report to."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.stage.processes import StageProcess, free_tcp_port, http_ok

ROOT = Path(__file__).resolve().parents[3]
READY_S = 60.0


@dataclass(frozen=True)
class Hook:
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]


class HookReceiver:
    """The recruiter's system: keeps each signed webhook the dialer delivers (always answers 200)."""

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._changed:
                    receiver.hooks.append(Hook(json.loads(raw), raw, {k.lower(): v for k, v in self.headers.items()}))
                    receiver._changed.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hook-receiver", daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, kind: str, predicate: Callable[[dict[str, Any]], bool] = lambda _b: True,
                 timeout_s: float = 30.0) -> Hook:
        """The first webhook of ``kind`` whose body satisfies ``predicate``."""
        def found() -> Hook | None:
            return next((h for h in self.hooks if h.body.get("type") == kind and predicate(h.body)), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout_s):
                raise TimeoutError(f"no {kind} webhook in {timeout_s} s; got {[h.body.get('type') for h in self.hooks]}")
            hook = found()
            assert hook is not None
            return hook


class DialerService:
    """``python -m dialer serve`` on a fresh SQLite file, against the stage's LiveKit."""

    def __init__(self, log_dir: Path, env: Mapping[str, str]) -> None:
        self.port = free_tcp_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = env["DIALER_API_KEY"]
        self.env = {**env, "DIALER_HOST": "127.0.0.1", "DIALER_PORT": str(self.port), "DIALER_PUBLIC_URL": self.url,
                    "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{log_dir / 'dialer.db'}"}
        self.log_path = log_dir / "dialer-serve.log"
        self.process: StageProcess | None = None
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.api_key}"}, timeout=15)

    def start(self) -> None:
        self.process = StageProcess("dialer serve", [sys.executable, "-m", "dialer", "serve"], self.log_path,
                                    cwd=ROOT, env=self.env)
        self.process.wait_ready(lambda: http_ok(f"{self.url}/health"), timeout_s=READY_S)

    def stop(self) -> None:
        self.http.close()
        if self.process is not None:
            self.process.stop()

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API request that must succeed; its JSON body."""
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()


class AgentWorker:
    """``python -m agent start``, registered with the stage's livekit-server; ``stop`` and ``start`` again at will
    (a test that stops it finds it started again by the fixture afterwards)."""

    def __init__(self, log_dir: Path, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.process: StageProcess | None = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.alive()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"agent-worker-{self.starts}.log"

    def start(self) -> None:
        """Starts the worker and waits until livekit-server has registered it (its log says so)."""
        if self.running:
            return
        self.starts += 1
        env = {**self.env, "DIALER_AGENT_HEALTH_PORT": str(free_tcp_port())}
        self.process = StageProcess("agent worker", [sys.executable, "-m", "agent", "start"], self.log_path,
                                    cwd=ROOT, env=env)
        self.process.wait_ready(lambda: "registered worker" in self.process.log_tail(400) if self.process else False,
                                timeout_s=READY_S)

    def stop(self) -> None:
        """SIGTERM, as a supervisor stops it (livekit-agents drains its jobs), then SIGKILL after 10 s."""
        if self.process is not None:
            self.process.stop()
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tracebacks(self) -> list[str]:
        """Every traceback the worker and its job processes logged (none is expected)."""
        return re.findall(r"Traceback \(most recent call last\):.*?(?=\n\S|\Z)", self.log(), flags=re.S)


def wait_until(predicate: Callable[[], Any], timeout_s: float, what: str, interval_s: float = 0.25) -> Any:
    """Polls a condition only an HTTP API can tell (no event to wait on); bounded by ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise TimeoutError(f"{what}: not so after {timeout_s} s (last: {last!r})")

