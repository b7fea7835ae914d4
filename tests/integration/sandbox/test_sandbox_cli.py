"""``python -m sandbox`` serves on its own and says loudly that no real call is placed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from livekit import api

from tests.integration.sandbox.sandbox_testkit import API_KEY, API_SECRET, dial

ROOT = Path(__file__).resolve().parents[3]


async def test_standalone_process_serves_the_api() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--port", "0", "--api-key", API_KEY, "--api-secret", API_SECRET,
        "--ring-delay", "0", "--no-auto-hangup",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        assert line.startswith("SANDBOX_URL=http://127.0.0.1:")
        async with api.LiveKitAPI(line.removeprefix("SANDBOX_URL="), API_KEY, API_SECRET) as lkapi:
            info = await dial(lkapi, "+12125550116", "cli-room")
            rooms = await lkapi.room.list_rooms(api.ListRoomsRequest())
        assert [r.name for r in rooms.rooms] == ["cli-room"] and info.room_name == "cli-room"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    log = stderr.decode()
    assert "NO REAL PHONE CALLS ARE PLACED" in log
    assert "5550116" not in log  # phone numbers never reach log text
