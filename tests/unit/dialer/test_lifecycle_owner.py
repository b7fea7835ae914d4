"""No module but dialer/lifecycle writes a call's or an attempt's state, lease or decision trail.

A scan of the product's source (dialer/, api/, agent/, config/): assignments to those columns, SQL UPDATE/INSERT/
DELETE on the calls, attempts and decisions tables, new Call/Attempt/Decision rows, and setattr with one of the
columns' names. The scanner is tested on snippets too, so it cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ("dialer", "api", "agent", "config")
OWNER = ROOT / "dialer" / "lifecycle"

CALL_COLUMNS = {
    "state", "attempts_made", "current_attempt_id", "room_name", "next_attempt_at", "lease_owner",
    "lease_expires_at", "last_outcome", "callback_at", "max_attempts",
}
ATTEMPT_COLUMNS = {"answered_at", "ended_at", "outcome", "sip_status_code", "duration_s", "error", "started_at"}
GUARDED = CALL_COLUMNS | ATTEMPT_COLUMNS
MODELS = {"Call", "Attempt", "Decision", "CallCount"}
# Another table's column of the same name, written by its own owner.
OTHER_TABLES = {("dialer/engine/outbox.py", "next_attempt_at"): "OutboxEvent's own retry time"}


def _store_models(tree: ast.Module) -> set[str]:
    """Local names bound to Call / Attempt / Decision / CallCount from dialer.store.models (policy has a Decision of its own)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "dialer.store.models":
            names.update(alias.asname or alias.name for alias in node.names if alias.name in MODELS)
    return names


def writes(source: str, where: str = "<snippet>") -> list[str]:
    """Every write of a guarded column or table in `source`, as 'line: code'."""
    tree = ast.parse(source)
    models = _store_models(tree)
    found: list[str] = []

    def hit(node: ast.AST) -> None:
        found.append(f"{where}:{getattr(node, 'lineno', 0)}: {ast.unparse(node)}")

    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in GUARDED
                and not (isinstance(target.value, ast.Name) and target.value.id == "self")  # an object's own field
                and (where, target.attr) not in OTHER_TABLES
            ):
                hit(node)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in models:
            hit(node)  # a new row
        elif name in ("update", "insert", "delete") and any(isinstance(a, ast.Name) and a.id in models for a in node.args):
            hit(node)
        elif name == "setattr" and len(node.args) >= 2:
            attr = node.args[1]
            if isinstance(attr, ast.Constant) and attr.value in GUARDED:  # (protobuf code sets fields by name)
                hit(node)
    return found


def test_only_the_lifecycle_writes_call_and_attempt_state() -> None:
    offenders: list[str] = []
    scanned = 0
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if OWNER in path.parents:
                continue
            scanned += 1
            offenders += writes(path.read_text(), str(path.relative_to(ROOT)))
    assert scanned > 50
    assert offenders == []


def test_the_lifecycle_itself_is_seen_writing() -> None:
    """The scan finds the writes that are there: the owner's own module is full of them."""
    source = (OWNER / "calls.py").read_text()
    assert len(writes(source, "dialer/lifecycle/calls.py")) > 20


@pytest.mark.parametrize(
    "snippet",
    [
        "call.state = 'failed'",
        "row.lease_expires_at += delta",
        "attempt.outcome: str = 'busy'",
        "from dialer.store.models import Call\nsession.add(Call(id='x'))",
        "from dialer.store.models import Decision as D\nD(call_id='c')",
        "from dialer.store.models import Call\nupdate(Call).values(state='x')",
        "from dialer.store.models import Attempt\nsa.delete(Attempt)",
        "setattr(call, 'state', 'failed')",
    ],
)
def test_the_scan_catches(snippet: str) -> None:
    assert writes(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "self.outcome = outcome",  # an exception's own field
        "call.updated_at = now",
        "from dialer.policy import Decision\nDecision(action, code, reason)",  # the policy's, not the table
        "from dialer.store.models import Call\nselect(Call).where(Call.state == 'x')",
        "x = call.state",
        "setattr(trunk, field_name, value)",
    ],
)
def test_the_scan_lets_reads_and_other_objects_be(snippet: str) -> None:
    assert writes(snippet) == []
