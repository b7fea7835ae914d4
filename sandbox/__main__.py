"""Run the sandbox on its own: ``python -m sandbox --port 7880 --api-key K --api-secret S``.

Prints ``SANDBOX_URL=<url>`` on stdout once it serves (so a parent process can read the port when
``--port 0``), and runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

from .server import DEFAULT_OUTBOUND_TRUNK_ID, LiveKitSandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="LiveKit-compatible sandbox on loopback. It places NO real phone calls.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7880, help="0 picks a free port")
    parser.add_argument("--api-key", default=os.environ.get("LIVEKIT_API_KEY"))
    parser.add_argument("--api-secret", default=os.environ.get("LIVEKIT_API_SECRET"))
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--ring-delay", type=float, default=1.0, help="seconds before a call is answered")
    parser.add_argument("--talk-time-scale", type=float, default=1.0, help="multiplies callee talk times")
    parser.add_argument("--no-auto-hangup", action="store_true", help="callees never hang up by themselves")
    parser.add_argument("--seed-trunk", default=DEFAULT_OUTBOUND_TRUNK_ID,
                        help="id of a pre-provisioned outbound trunk ('' for none)")
    args = parser.parse_args(argv)
    if not args.api_key or not args.api_secret:
        parser.error("--api-key and --api-secret are required (or LIVEKIT_API_KEY / LIVEKIT_API_SECRET)")
    return args


async def serve(args: argparse.Namespace) -> None:
    sandbox = LiveKitSandbox(
        api_key=args.api_key,
        api_secret=args.api_secret,
        webhook_url=args.webhook_url,
        ring_delay_s=args.ring_delay,
        talk_time_scale=args.talk_time_scale,
        auto_hangup=not args.no_auto_hangup,
        seed_outbound_trunk_id=args.seed_trunk or None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    url = await sandbox.start(args.host, args.port)
    print(f"SANDBOX_URL={url}", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
