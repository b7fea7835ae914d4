"""Helpers shared by tests (fixtures live in conftest.py files)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import httpx
import pytest

API_KEY = "test-api-key"
# A Wednesday, 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles, 15:00 in London.
T0 = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)


def api_client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://dialer.test")


def require_tool(command: str, debian_package: str) -> str:
    """The path of `command`; skip when absent locally, fail under CI=true (CI must not pass by skipping)."""
    path = shutil.which(command)
    if path is None:
        problem = f"{command} is not installed (apt-get install -y {debian_package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"required under CI=true: {problem}")
        pytest.skip(problem)
    return path
