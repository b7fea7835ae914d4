"""The shared page shell: every signed-in page carries the same navigation, each marks itself current, and a page
file that holds more than its <main> is refused when the app starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.web.shell import LOGIN, SIGNED_IN_PAGES, Page, render


@pytest.mark.parametrize("page", SIGNED_IN_PAGES, ids=lambda p: p.name)
def test_each_signed_in_page_has_the_whole_navigation_with_itself_current(page: Page) -> None:
    html = render(page)
    links = re.findall(r'<li><a href="([^"]+)"( aria-current="page")?>', html)
    assert [href for href, _ in links] == [p.path for p in SIGNED_IN_PAGES]
    assert [href for href, current in links if current] == [page.path]
    assert f"<title>{page.title} · Dialer</title>" in html
    assert f'<script type="module" src="/web/static/{page.name}.js"></script>' in html
    assert html.count("<main") == 1 and 'id="sign-out"' in html and 'class="skip-link"' in html


def test_the_sign_in_page_has_no_navigation_and_the_briefing_preloads_livekit() -> None:
    login = render(LOGIN)
    assert "<nav" not in login and "sign-out" not in login and "<main" in login
    (briefing,) = [p for p in SIGNED_IN_PAGES if p.name == "briefing"]
    assert '<link rel="modulepreload" href="/web/static/vendor/livekit-client/' in render(briefing)


def test_a_page_file_with_its_own_document_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stray.html").write_text("<!doctype html><html><body><main></main></body></html>")
    with pytest.raises(ValueError, match="only the page's <main>"):
        render(Page("stray", "Stray", "/web/stray", "Stray"), pages_dir=tmp_path)
