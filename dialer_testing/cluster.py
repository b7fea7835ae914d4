"""Several real `dialer serve` processes on one PostgreSQL database and one sandbox process, on loopback.

Used by the multi-instance tests and by bench/multi_instance.py. Each dialer is `python -m dialer serve` with its
own port and the same settings; the sandbox is `dialer_testing.sandbox_proc` (the LiveKit sandbox with a control
channel that hands back every request it received, with its time). Nothing here asserts: it starts, stops, waits
and counts.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("DIALER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
API_KEY = "multi-instance-api-key-0123"
LK_KEY, LK_SECRET = "multi-instance-key", "multi-instance-secret-0123456789abcdef"
# LIVEKIT_URL is set, so the dialer requires consent to be called, as it would with real phones.
CONSENT = {"source": "multi-instance test", "at": "2026-01-01T00:00:00Z", "channel": "test"}
BUSY = "+12125550110"  # SIP 486 at once: the attempt ends the moment it is dialled
# The sandbox's busy number (+1 NPA 555 0110, +44 20 7946 0110) in four zones far apart; the window must be open where the number is,
# so each run picks the one where it is nearest mid-afternoon (a record zone can only narrow the hours, not move them).
BUSY_BY_ZONE = (
    ("America/New_York", "+12125550110"),
    ("Pacific/Honolulu", "+18085550110"),
    ("Pacific/Guam", "+16715550110"),
    ("Europe/London", "+442079460110"),
)
CALL_REGIONS = "US,GU,GB"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_database() -> str:
    """A fresh, empty database on the test server; returns its SQLAlchemy URL (the dialers migrate it)."""
    name = f"dialer_multi_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_plain(PG_ADMIN_URL), timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = _plain(PG_ADMIN_URL).rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(_plain(PG_ADMIN_URL), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def daytime_busy_number(now: datetime | None = None) -> str:
    """The busy number whose zone is nearest 14:00 now, so an 08:00-21:00 window stays open for the whole run."""
    at = now or datetime.now(timezone.utc)

    def distance(item: tuple[str, str]) -> int:
        local = at.astimezone(ZoneInfo(item[0]))
        return min(abs(local.hour * 60 + local.minute - 14 * 60), 24 * 60 - abs(local.hour * 60 + local.minute - 14 * 60))

    return min(BUSY_BY_ZONE, key=distance)[1]


def midday_zone(now: datetime | None = None) -> str:
    """A fixed-offset IANA zone where it is about 14:00 now, so an 08:00-21:00 window is open for the whole run."""
    hour = (now or datetime.now(timezone.utc)).hour
    offset = (14 - hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-3 is UTC+3


def max_in_any_window(times: Sequence[float], window_s: float = 1.0) -> int:
    """The most events in any half-open window [t, t + window_s)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(root: Path = ROOT) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DIALER_", "LIVEKIT_"))} | {"PYTHONPATH": str(root)}


@dataclass
class SandboxProcess:
    process: asyncio.subprocess.Process
    url: str
    log: Path

    @classmethod
    async def start(cls, log_dir: Path, *, webhook_url: str | None = None) -> SandboxProcess:
        log = log_dir / "sandbox.log"
        args = [sys.executable, "-m", "dialer_testing.sandbox_proc", "--api-key", LK_KEY, "--api-secret", LK_SECRET]
        if webhook_url:
            args += ["--webhook-url", webhook_url]
        process = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, env=_clean_env(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=log.open("wb"),
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        if not line.startswith("SANDBOX_URL="):
            raise RuntimeError(f"sandbox did not start: {line!r}; see {log}")
        return cls(process=process, url=line.split("=", 1)[1], log=log)

    async def command(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(self.process.stdout.readline(), 20))
        if not answer.get("ok"):
            raise RuntimeError(f"sandbox command {command} failed: {answer}")
        return answer

    async def records(self, method: str | None = None) -> list[dict[str, Any]]:
        path = self.log.with_name(f"records-{uuid.uuid4().hex[:6]}.json")
        await self.command(op="dump", path=str(path))
        found: list[dict[str, Any]] = json.loads(path.read_text())
        return [r for r in found if method is None or r["method"] == method]

    async def stop(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()


@dataclass
class DialerProcess:
    index: int
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def start(
        cls, index: int, log_dir: Path, env: dict[str, str], port: int | None = None, root: Path = ROOT
    ) -> DialerProcess:
        """`root`: the checkout whose code runs (a bench's baseline may be another commit's)."""
        port = port or _free_port()
        log = log_dir / f"dialer-{index}.log"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dialer", "serve", "--port", str(port), cwd=root,
            env=_clean_env(root) | env | {"DIALER_PORT": str(port)},
            stdin=asyncio.subprocess.DEVNULL, stdout=log.open("wb"), stderr=asyncio.subprocess.STDOUT,
        )
        return cls(index=index, process=process, port=port, log=log)

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            deadline = asyncio.get_running_loop().time() + timeout_s
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"dialer {self.index} exited ({self.process.returncode}):\n{self.log_tail()}")
                try:
                    if (await http.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"dialer {self.index} not ready:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except asyncio.TimeoutError:
                self.process.kill()
        await self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


@dataclass
class Cluster:
    database_url: str
    sandbox: SandboxProcess
    dialers: list[DialerProcess]
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, database_url: str, log_dir: Path, *, instances: int, settings: dict[str, str], webhooks: bool = False,
        root: Path = ROOT,
    ) -> Cluster:
        """`webhooks`: the sandbox sends its webhooks to instance 0 (as a load balancer would pick one)."""
        ports = [_free_port() for _ in range(instances)]
        sandbox = await SandboxProcess.start(
            log_dir, webhook_url=f"http://127.0.0.1:{ports[0]}/api/livekit/webhook" if webhooks else None
        )
        env = {
            "DIALER_DATABASE_URL": database_url,
            "LIVEKIT_URL": sandbox.url,
            "LIVEKIT_API_KEY": LK_KEY,
            "LIVEKIT_API_SECRET": LK_SECRET,
            "DIALER_API_KEY": API_KEY,
            "DIALER_SECRET_KEY": "multi-instance-secret-key-0123",
            "DIALER_AGENT_API_KEY": "multi-instance-agent-key-0123",
            "DIALER_LOG_LEVEL": "WARNING",
            # A real LiveKit is configured: every call must say whom it is for and where to call back.
            "DIALER_COMPANY_NAME": "Multi Instance Test",
            "DIALER_CALLBACK_NUMBER": "+12125550199",
            "DIALER_CALL_REGIONS": CALL_REGIONS,
            **settings,
        }
        cluster = cls(database_url=database_url, sandbox=sandbox, dialers=[], log_dir=log_dir, env=env)
        try:
            for index in range(instances):
                cluster.dialers.append(await DialerProcess.start(index, log_dir, env, ports[index], root=root))
            await asyncio.gather(*(d.wait_ready() for d in cluster.dialers))
        except BaseException:
            await cluster.stop()
            raise
        return cluster

    def client(self, index: int = 0) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.dialers[index].url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        )

    async def create_batch(self, count: int, *, phone: str | None = None, via: tuple[int, int] = (0, 0)) -> str:
        """`count` candidates (bulk, through instance via[0]) in one batch (created through instance via[1])."""
        number = phone or daytime_busy_number()
        candidates = [
            {"external_id": f"m-{i}", "name": f"Candidate {i}", "phone": number,
             "required_fields": ["start_date"], "consent": CONSENT}
            for i in range(count)
        ]
        async with self.client(via[0]) as http:
            created = await http.post("/api/candidates/bulk", json={"candidates": candidates})
            created.raise_for_status()
            ids = [item["id"] for item in created.json()["items"]]
        async with self.client(via[1]) as http:
            batch = await http.post("/api/batches", json={"candidate_ids": ids})
            batch.raise_for_status()
            return str(batch.json()["id"])

    async def scalar(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(_plain(self.database_url), timeout=10)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(_plain(self.database_url), timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def wait_for(
        self, check: Callable[[], Awaitable[bool]], *, timeout_s: float, what: str, every_s: float = 0.25
    ) -> float:
        """Poll `check` (other processes give no signal we could await); returns the seconds it took."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while not await check():
            if loop.time() - started > timeout_s:
                tails = "\n".join(f"--- dialer {d.index}\n{d.log_tail(15)}" for d in self.dialers)
                raise TimeoutError(f"{what}: not within {timeout_s:.0f}s\n{tails}")
            await asyncio.sleep(every_s)
        return loop.time() - started

    async def metrics(self, index: int) -> str:
        async with httpx.AsyncClient(timeout=10) as http:
            return (await http.get(f"{self.dialers[index].url}/metrics")).text

    async def stop(self) -> None:
        await asyncio.gather(*(d.stop() for d in self.dialers), return_exceptions=True)
        await self.sandbox.stop()
