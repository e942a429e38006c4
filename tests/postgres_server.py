"""A real PostgreSQL server for tests: started in its own data folder and port, stopped and removed after.

``conftest.postgres_url`` serves it as a module-scoped fixture; a machine without the server binaries
skips the tests that ask for it.
"""

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


def server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """A fresh server (trust authentication, user ``postgres``) on 127.0.0.1; yields its URL."""
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="relpool-pg-"))
    if as_postgres:
        shutil.chown(data, "postgres")
    port = _free_port()
    try:
        subprocess.run(
            [*as_postgres, bin_dir / "initdb", "-D", data / "data", "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *as_postgres,
                bin_dir / "pg_ctl",
                "-D",
                data / "data",
                "-l",
                data / "log",
                "-w",
                "start",
                "-o",
                f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, bin_dir / "pg_ctl", "-D", data / "data", "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)
