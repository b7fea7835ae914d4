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


IMPURE = ("sqlalchemy", "fastapi", "asyncpg", "aiosqlite", "apscheduler", "dialer.store", "dialer.engine",
          "dialer.services", "dialer.lifecycle", "dialer.runtime", "dialer.telephony", "api")


def _dialer_modules(path: Path) -> set[str]:
    """The dialer modules `path` imports (`from dialer import spoken` counts as dialer.spoken)."""
    found = {name for name in _imports(path) if name.startswith("dialer.")}
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "dialer" and node.level == 0:
            found.update(f"dialer.{alias.name}" for alias in node.names)
    return found


def _module_file(name: str) -> Path:
    base = ROOT.joinpath(*name.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def test_the_agent_imports_only_the_dialers_pure_modules() -> None:
    """It talks to the dialer over HTTP; what it imports of the dialer (field types, the dispatch contract, spoken
    forms...) and everything those import must be pure: no database, no web framework, no engine or services."""
    seen: set[str] = set()
    frontier = [name for path in _modules("agent") for name in _dialer_modules(path)]
    assert "dialer.agent_dispatch" in frontier
    impure: list[str] = []
    while frontier:
        name = frontier.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if not path.exists():
            continue  # a name imported from a package's __init__, checked with the package
        impure += [f"{name}: {dep}" for dep in sorted(_imports(path)) if dep.startswith(IMPURE)]
        frontier += list(_dialer_modules(path))
    assert impure == []


def _telephony_clients(path: Path) -> list[str]:
    """Telephony clients imported (its exception types, mapped to statuses by api/errors.py, are fine)."""
    tree = ast.parse(path.read_text())
    return [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dialer.telephony")
        for alias in node.names
        if alias.name in ("Telephony", "LiveKitTelephony", "AgentRooms")
    ]


def test_routers_reach_services_only_through_the_dependencies() -> None:
    """deps.py hands out the services; app.py and served.py compose the application around the Runtime."""
    reaching: list[str] = []
    for path in _modules("api"):
        if path.name in ("deps.py", "app.py", "served.py"):
            continue
        text = path.read_text()
        if "dialer.runtime" in _imports(path) or "app.state.runtime" in text or _telephony_clients(path):
            reaching.append(str(path.relative_to(ROOT)))
    assert reaching == []
