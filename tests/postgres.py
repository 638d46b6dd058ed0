"""A real PostgreSQL server for the tests, from Debian's `postgresql` package (`make test` installs it):
initdb into a temporary folder, started on a free loopback port, stopped and removed at the end. As
root (CI containers), the server runs as the package's `postgres` user, since PostgreSQL refuses root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["pg_bin", "postgres_server"]


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server programs, if the package is installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """A running server; yields a SQLAlchemy URL of its `postgres` database (user pagesight, no password)."""
    folder = Path(tempfile.mkdtemp(prefix="pagesight-pg-"))
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
        folder.chmod(0o700)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "pagesight", "-A", "trust", "--no-sync", "-E", "UTF8")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        try:
            yield f"postgresql+psycopg://pagesight@127.0.0.1:{port}/postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
