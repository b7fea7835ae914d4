"""Builds livekit-server and livekit-sip from the project's pinned Go modules, once per machine.

The binaries go to ``~/.cache/dialer-stage/<key>/`` (``DIALER_STAGE_CACHE`` overrides the root), where the key names
both pinned versions and hashes ``stage/*/go.mod`` and ``go.sum``: a new pin builds anew, an unchanged one builds
nothing. A file lock keeps parallel test sessions on one machine from building twice. Run it alone to pre-warm the
cache: ``python -m tests.stage.build``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STAGE_DIR = Path(__file__).resolve().parents[2] / "stage"
BUILD_TIMEOUT_S = 40 * 60


class StageUnavailable(RuntimeError):
    """A tool the stage needs is missing, or a build failed; the message says which and why."""


@dataclass(frozen=True)
class GoTool:
    name: str       # the binary's file name in the cache
    module_dir: str  # stage/<module_dir> holds its go.mod
    package: str    # the main package, built as a Go tool of that module
    module: str     # the module whose version is pinned


TOOLS = (
    GoTool("livekit-server", "server", "github.com/livekit/livekit-server/cmd/server",
           "github.com/livekit/livekit-server"),
    GoTool("livekit-sip", "sip", "github.com/livekit/sip/cmd/livekit-sip", "github.com/livekit/sip"),
)


@dataclass(frozen=True)
class StageBinaries:
    livekit_server: Path
    livekit_sip: Path
    server_version: str
    sip_version: str


def pinned_version(tool: GoTool) -> str:
    """The version of ``tool.module`` that its go.mod requires."""
    text = (STAGE_DIR / tool.module_dir / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(tool.module)}\s+(v\S+)", text, re.MULTILINE)
    if match is None:
        raise StageUnavailable(f"stage/{tool.module_dir}/go.mod does not require {tool.module}")
    return match.group(1)


def cache_key() -> str:
    """Both pinned versions, the platform, and a hash of every go.mod and go.sum of the stage."""
    digest = hashlib.sha256(platform.machine().encode())
    for tool in TOOLS:
        for name in ("go.mod", "go.sum"):
            digest.update((STAGE_DIR / tool.module_dir / name).read_bytes())
    versions = "_".join(f"{tool.module_dir}-{pinned_version(tool)}" for tool in TOOLS)
    return f"{versions}-{digest.hexdigest()[:12]}"


def cache_dir() -> Path:
    root = Path(os.environ.get("DIALER_STAGE_CACHE") or Path.home() / ".cache" / "dialer-stage")
    return root / cache_key()


def _binaries(directory: Path) -> StageBinaries:
    server, sip = TOOLS
    return StageBinaries(
        livekit_server=directory / server.name, livekit_sip=directory / sip.name,
        server_version=pinned_version(server), sip_version=pinned_version(sip),
    )


def _present(binaries: StageBinaries) -> bool:
    return all(os.access(p, os.X_OK) for p in (binaries.livekit_server, binaries.livekit_sip))


def _build(tool: GoTool, target: Path, go: str, log: Callable[[str], None]) -> None:
    partial = target.with_name(f".{target.name}.partial")
    env = dict(os.environ, CGO_ENABLED="1", GOFLAGS="-mod=readonly")
    started = time.monotonic()
    log(f"stage: building {tool.name} {pinned_version(tool)} with {go} (the first build takes minutes)")
    try:
        result = subprocess.run(
            [go, "build", "-trimpath", "-o", str(partial), tool.package],
            cwd=STAGE_DIR / tool.module_dir, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise StageUnavailable(f"building {tool.name} took over {BUILD_TIMEOUT_S} s") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-30:])
        raise StageUnavailable(f"go build of {tool.name} failed (exit {result.returncode}):\n{tail}")
    os.replace(partial, target)
    log(f"stage: built {tool.name} in {time.monotonic() - started:.0f} s")


def ensure_binaries(log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> StageBinaries:
    """The cached binaries, built first if absent (one builder per machine at a time)."""
    directory = cache_dir()
    binaries = _binaries(directory)
    if _present(binaries):
        return binaries
    go = shutil.which("go")
    if go is None:
        raise StageUnavailable("`go` is not on PATH, so livekit-server and livekit-sip cannot be built")
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f"{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be building: wait for it, then find its binaries
        for tool, target in zip(TOOLS, (binaries.livekit_server, binaries.livekit_sip)):
            if not os.access(target, os.X_OK):
                _build(tool, target, go, log)
    return binaries


if __name__ == "__main__":
    built = ensure_binaries()
    print(f"livekit-server {built.server_version}: {built.livekit_server}")
    print(f"livekit-sip {built.sip_version}: {built.livekit_sip}")
