"""The layers, as imports: engine/ never reaches up into services/; the lifecycle sits below both; the agent imports
only the dialer's pure modules; routers reach services only through api/deps.py, never the Runtime or telephony."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(package: str) -> list[Path]:
    paths = sorted((ROOT / package).rglob("*.py"))
    assert paths, package
    return paths


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(package)
        for name in sorted(_imports(path))
        if name.startswith(forbidden)
    ]


def test_the_engine_never_imports_services() -> None:
    assert _offenders("dialer/engine", ("dialer.services",)) == []


def test_the_lifecycle_sits_below_engine_and_services() -> None:
    assert _offenders("dialer/lifecycle", ("dialer.engine", "dialer.services", "dialer.runtime", "api")) == []


def test_the_agent_imports_only_the_dialers_pure_modules() -> None:
    """It talks to the dialer over HTTP; field types and the dispatch contract are the shared, pure part."""
    allowed = ("dialer.fields", "dialer.agent_dispatch")
    dialer_imports = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules("agent")
        for name in sorted(_imports(path))
        if (name == "dialer" or name.startswith("dialer.")) and not name.startswith(allowed)
    ]
    assert dialer_imports == []


def test_routers_reach_services_only_through_the_dependencies() -> None:
    reaching: list[str] = []
    for path in _modules("api"):
        if path.name in ("deps.py", "app.py"):
            continue
        text = path.read_text()
        names = _imports(path)
        if "dialer.runtime" in names or "app.state.runtime" in text or any(n.startswith("dialer.telephony") for n in names):
            reaching.append(str(path.relative_to(ROOT)))
    assert reaching == []
