"""The page shell every web page shares: the document head, the skip link, the site header and its navigation.

Each page's own file under `pages/` holds only its `<main>`; the shell wraps it, once, when the app starts. One
place for the navigation means a new page appears in every page's menu, with `aria-current` on the right one.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

PAGES_DIR = Path(__file__).parent / "pages"
LIVEKIT_CLIENT = "/web/static/vendor/livekit-client/livekit-client.esm.mjs"
CURRENT = ' aria-current="page"'


@dataclass(frozen=True)
class Page:
    name: str  # pages/<name>.html holds its <main>; static/<name>.js is its script
    title: str  # the document's title, before " · Dialer"
    path: str = ""  # where it is served; "" for a page outside the navigation (sign-in)
    nav_label: str = ""
    preload: tuple[str, ...] = ()  # modules its script imports, fetched early

    @property
    def in_navigation(self) -> bool:
        return bool(self.path)


SIGNED_IN_PAGES = (
    Page("dashboard", "Batches", "/web/", "Batches"),
    Page("upload", "Upload a batch", "/web/upload", "Upload"),
    Page("candidates", "Candidates", "/web/candidates", "Candidates"),
    Page("briefing", "Briefing", "/web/briefing", "Briefing", preload=(LIVEKIT_CLIENT,)),
)
LOGIN = Page("login", "Sign in")


def _head(page: Page) -> str:
    preloads = "".join(f'  <link rel="modulepreload" href="{escape(href)}">\n' for href in page.preload)
    return (
        "<head>\n"
        '  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"  <title>{escape(page.title)} · Dialer</title>\n"
        '  <link rel="icon" href="data:,">\n'
        '  <link rel="stylesheet" href="/web/static/app.css">\n'
        f"{preloads}"
        f'  <script type="module" src="/web/static/{escape(page.name)}.js"></script>\n'
        "</head>\n"
    )


def _header(page: Page) -> str:
    if not page.in_navigation:
        return '  <header class="site"><span class="brand">Dialer</span></header>\n'
    items = "".join(
        f'        <li><a href="{escape(other.path)}"{CURRENT if other == page else ""}>{escape(other.nav_label)}</a></li>\n'
        for other in SIGNED_IN_PAGES
    )
    return (
        '  <a class="skip-link" href="#main">Skip to content</a>\n'
        '  <header class="site">\n'
        '    <span class="brand">Dialer</span>\n'
        '    <nav aria-label="Pages">\n'
        "      <ul>\n"
        f"{items}"
        "      </ul>\n"
        "    </nav>\n"
        '    <button id="sign-out" type="button">Sign out</button>\n'
        "  </header>\n"
    )


def render(page: Page, pages_dir: Path = PAGES_DIR) -> str:
    """The whole document: the shell around the page's own `<main>`."""
    main = (pages_dir / f"{page.name}.html").read_text(encoding="utf-8")
    if not main.lstrip().startswith("<main"):
        raise ValueError(f"pages/{page.name}.html must hold only the page's <main> element")
    return (
        '<!doctype html>\n<html lang="en">\n'
        f"{_head(page)}"
        "<body>\n"
        f"{_header(page)}"
        f"{main.rstrip()}\n"
        "</body>\n</html>\n"
    )
