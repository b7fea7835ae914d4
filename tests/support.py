"""Helpers shared by tests (fixtures live in conftest.py files)."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx

API_KEY = "test-api-key"
# A Wednesday, 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles, 15:00 in London.
T0 = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)


def api_client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://dialer.test")
