"""Headless Chromium for the page tests, driven by Selenium, awaited from the tests' event loop.

The app under test is served by uvicorn on the same event loop as the test, so every blocking WebDriver call runs in a
worker thread (`asyncio.to_thread`): a blocking call on the loop would stop the server the browser is talking to.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",  # the microphone prompt would otherwise block the briefing
    "--use-fake-device-for-media-stream",
)
DESKTOP = (1280, 900)
PHONE = (390, 844)
SCREENSHOTS_ENV = "DIALER_WEB_SCREENSHOTS"


def require_chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skip when absent locally, fail under CI=true (CI must not pass by skipping)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    problem = None
    if not (chromium and driver):
        problem = "Debian's chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            problem = "selenium is not installed (pip install selenium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests are required under CI=true: {problem}")
        pytest.skip(problem)
    assert chromium and driver
    return chromium, driver


@contextmanager
def chromium_driver(extra_flags: tuple[str, ...] = ()) -> Iterator[Any]:
    """``extra_flags``: e.g. the stage's fake microphone file and autoplay without a gesture."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = require_chromium()
    profile = tempfile.mkdtemp(prefix="dialer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, *extra_flags, f"--user-data-dir={profile}",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Browser:
    """Async facade over one WebDriver for one test's stack (`base_url`)."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    async def get(self, path: str) -> None:
        await self.run(self.driver.get, self.base_url + path)

    async def wait(self, condition: Callable[[Any], T | None], message: str, timeout: float = 15.0) -> T:
        """Wait for a DOM condition (a function of the driver, truthy when met); no sleeps."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        # The pages re-render rows as data changes: an element found a moment ago may be replaced; look again.
        ignored = (NoSuchElementException, StaleElementReferenceException)
        wait = WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=ignored)
        return await self.run(wait.until, condition, message)

    async def wait_text(self, css: str, expected: str, timeout: float = 15.0) -> str:
        """Wait until the element's visible text contains `expected`; returns the text."""

        def has_text(driver: Any) -> tuple[str] | None:
            found = driver.find_elements("css selector", css)
            text = str(found[0].text) if found else ""
            return (text,) if expected in text else None

        return (await self.wait(has_text, f"{css!r} never showed {expected!r}", timeout))[0]

    async def wait_visible(self, css: str, timeout: float = 15.0) -> Any:
        def visible(driver: Any) -> Any:
            found = [e for e in driver.find_elements("css selector", css) if e.is_displayed()]
            return found[0] if found else False

        return await self.wait(visible, f"{css!r} never became visible", timeout)

    async def click(self, css: str) -> None:
        element = await self.wait_visible(css)
        await self.run(element.click)

    async def type(self, css: str, text: str) -> None:
        element = await self.wait_visible(css)
        await self.run(element.clear)
        await self.run(element.send_keys, text)

    async def text(self, css: str) -> str:
        """The element's visible text, read in one step (found and read together, so never stale)."""
        def read(driver: Any) -> tuple[str]:
            return (str(driver.find_element("css selector", css).text),)

        return (await self.wait(read, f"no {css!r}"))[0]

    async def attribute(self, css: str, name: str) -> str | None:
        def read(driver: Any) -> tuple[str | None]:
            value = driver.find_element("css selector", css).get_attribute(name)
            return (None if value is None else str(value),)

        return (await self.wait(read, f"no {css!r}"))[0]

    async def script(self, source: str, *args: Any) -> Any:
        return await self.run(self.driver.execute_script, source, *args)

    async def sign_in(self, api_key: str, next_path: str = "/web/") -> None:
        """The real sign-in form: unsigned, the page redirects to it; signed in, back to the page."""
        await self.get(next_path)
        await self.wait(lambda d: "/web/login" in d.current_url, "unsigned visit did not redirect to sign-in")
        await self.type("#api-key", api_key)
        await self.click("#sign-in")
        path = next_path.split("?")[0]
        await self.wait(lambda d: d.current_url.split("?")[0].endswith(path), f"sign-in did not return to {next_path}")

    async def console_problems(self) -> list[str]:
        """Script errors and CSP violations logged by the page (failed requests the page reports are expected)."""
        entries = await self.run(self.driver.get_log, "browser")
        return [
            str(e["message"])
            for e in entries
            if "Content Security Policy" in str(e["message"]) or "Uncaught" in str(e["message"])
        ]

    async def screenshot(self, name: str, size: tuple[int, int] = DESKTOP) -> Path | None:
        """Saved only when DIALER_WEB_SCREENSHOTS names a folder (docs/screenshots for the README)."""
        folder = os.environ.get(SCREENSHOTS_ENV)
        if not folder:
            return None
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.run(self.driver.set_window_size, *size)
        page, inner, outer = await self.script(
            "return [document.documentElement.scrollHeight, window.innerHeight, window.outerHeight]"
        )
        if page > inner:  # the whole page, not just the first screen
            await self.run(self.driver.set_window_size, size[0], int(page) + int(outer) - int(inner))
        try:
            await self.run(self.driver.save_screenshot, str(path))
        finally:
            await self.run(self.driver.set_window_size, *DESKTOP)
        return path
