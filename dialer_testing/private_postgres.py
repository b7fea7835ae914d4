"""A throw-away PostgreSQL server of our own (initdb into a temporary directory, its own port), so a test can
restart the database under load without touching the shared server other tests and engineers use.

Needs the server binaries (`initdb`, `pg_ctl`: Debian's postgresql package puts them in /usr/lib/postgresql/*/bin).
initdb refuses to run as root, so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available() -> bool:
    return bool(_binary("initdb") and _binary("pg_ctl")) and (os.geteuid() != 0 or _has_user("postgres"))


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @classmethod
    def create(cls) -> PrivatePostgres:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        assert initdb and pg_ctl
        directory = Path(tempfile.mkdtemp(prefix="dialer-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(directory, user.pw_uid, user.pw_gid)
        server = cls(directory=directory, port=_free_port())
        server._run(initdb, "-D", str(directory / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        server.start()
        return server

    def _pg_ctl(self, action: str, *extra: str) -> None:
        pg_ctl = _binary("pg_ctl")
        assert pg_ctl
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(pg_ctl, "-D", str(self.directory / "data"), "-l", str(self.directory / "server.log"),
                  "-o", options, "-w", *extra, action)

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self, *, down_s: float = 0.0) -> None:
        """Stop (every connection dropped, transactions in flight aborted), stay down `down_s`, start again."""
        self._pg_ctl("stop", "-m", "fast")
        time.sleep(down_s)
        self.start()

    def database(self, name: str) -> str:
        """A new database on this server; its SQLAlchemy URL."""
        self._run(_binary("psql") or "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-c", f'CREATE DATABASE "{name}"')
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
