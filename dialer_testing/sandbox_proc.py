"""The LiveKit sandbox as its own process, with a control channel for tests and benchmarks.

    python -m dialer_testing.sandbox_proc --api-key K --api-secret S [--webhook-url URL]

Prints `SANDBOX_URL=<url>` once serving (port picked by the OS), then reads one JSON command per line on stdin and
answers one JSON line on stdout:
    {"op": "dump", "path": "/tmp/x.json"}  every Twirp request received so far: method, received_at, status, room
    {"op": "fault", "method": "CreateRoom", "status": 503, "delay_s": 0, "times": 1}
    {"op": "calls"}                        how many SIP calls were placed
It runs until stdin closes or SIGTERM. Its clock is the system clock, shared with the dialer processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from sandbox import LiveKitSandbox, RecordedRequest


def _room(record: RecordedRequest) -> str | None:
    message = record.request
    for field in ("room_name", "room", "name"):
        value = getattr(message, field, None) if message is not None else None
        if isinstance(value, str) and value:
            return value
    return None


def records(sandbox: LiveKitSandbox) -> list[dict[str, Any]]:
    return [
        {"method": r.method, "received_at": r.received_at, "status": r.status, "room": _room(r)}
        for r in sandbox.requests
    ]


async def handle(sandbox: LiveKitSandbox, command: dict[str, Any]) -> dict[str, Any]:
    op = command.get("op")
    if op == "dump":
        Path(command["path"]).write_text(json.dumps(records(sandbox)))
        return {"ok": True, "requests": len(sandbox.requests)}
    if op == "fault":
        sandbox.inject_fault(
            command["method"], status=command.get("status"), delay_s=command.get("delay_s", 0), times=command.get("times", 1)
        )
        return {"ok": True}
    if op == "calls":
        return {"ok": True, "calls": len(sandbox.calls)}
    return {"ok": False, "error": f"unknown op {op!r}"}


async def serve(args: argparse.Namespace) -> None:
    sandbox = LiveKitSandbox(
        api_key=args.api_key, api_secret=args.api_secret, webhook_url=args.webhook_url, ring_delay_s=args.ring_delay,
        auto_hangup=not args.no_auto_hangup, departure_time_scale=0.0,
    )
    url = await sandbox.start("127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"SANDBOX_URL={url}", flush=True)

    async def commands() -> None:
        while line := await reader.readline():
            try:
                answer = await handle(sandbox, json.loads(line))
            except Exception as exc:  # a bad command must not kill the sandbox under test
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
        stop.set()

    task = asyncio.create_task(commands())
    try:
        await stop.wait()
    finally:
        task.cancel()
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m dialer_testing.sandbox_proc")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--api-secret", required=True)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--ring-delay", type=float, default=0.0)
    parser.add_argument("--no-auto-hangup", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
