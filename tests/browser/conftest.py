"""Fixtures for the web pages: one SQLite database per test (the behaviour suites cover PostgreSQL; the pages only
read the API), the whole dialer on loopback, and one headless Chromium shared by the session."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.stack import Stack, running_stack
from tests.browser.browser import Browser, chromium_driver


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """Overrides the root conftest's SQLite+PostgreSQL parametrization: SQLite only here."""
    target = tmp_path / "dialer.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "max_concurrent_calls": 10})
    async with running_stack(tuned, clock) as s:
        yield s


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    with chromium_driver() as driver:
        yield driver


@pytest.fixture
def browser(chromium: Any, stack: Stack) -> Iterator[Browser]:
    # Cookies are per host, not per port: clear them so each test's stack starts signed out.
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.get_log("browser")  # drop the previous test's console
    yield Browser(chromium, stack.base_url)
    chromium.get("about:blank")  # stop the page's polling before the stack shuts down
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
