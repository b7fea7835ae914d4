"""The web pages' server side (sign-in, session cookie, static files) on SQLite only: the behaviour suites cover
PostgreSQL, and the pages only read the API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """Overrides the root conftest's SQLite+PostgreSQL parametrization: SQLite only here."""
    target = tmp_path / "dialer.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"
