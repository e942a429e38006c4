"""Whether a target table lives in the user's input database, however each of them was spelt.

A file is identified by its device and inode (so a relative path, a symlink, a hard link or a
``sqlite:///`` URL of the same file are the same database); a server database by its backend, host,
port and database name, with the defaults libpq fills in (port 5432, the user's name as database) and
every spelling of this machine (``localhost``, ``127.0.0.1``, ``::1``, a Unix socket, no host) as one.
A host name is compared by the addresses it resolves to.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from relpool.sinks.target import TableTarget

if TYPE_CHECKING:
    import sqlalchemy as sa

LOCAL = frozenset({"(this machine)"})
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}


@dataclass(frozen=True)
class Server:
    backend: str
    hosts: frozenset[str]  # the addresses the host resolves to, or LOCAL
    port: int | None
    database: str | None

    def same_as(self, other: Server) -> bool:
        return (self.backend, self.port, self.database) == (other.backend, other.port, other.database) and bool(
            self.hosts & other.hosts
        )


Identity = tuple[int, int] | Server  # a file's (device, inode), or a server database


def is_input_database(target: TableTarget, input_db) -> bool:
    """True when ``target``'s database is ``input_db`` (a DB argument: path, URL, name or DataFrames)."""
    if not isinstance(input_db, (str, Path)) or isinstance(input_db, Mapping):
        return False
    mine = _server(target.url) if target.url is not None else _file(target.path) if target.path else None
    theirs = _of_argument(str(input_db))
    if mine is None or theirs is None:
        return False
    if isinstance(mine, Server) and isinstance(theirs, Server):
        return mine.same_as(theirs)
    return mine == theirs


def _of_argument(text: str) -> Identity | None:
    import sqlalchemy as sa

    if "://" not in text:
        return _file(Path(text))
    try:
        url = sa.engine.make_url(text)
    except sa.exc.ArgumentError:
        return None
    if url.get_backend_name() in ("sqlite", "duckdb"):
        return _file(Path(url.database)) if url.database else None
    return _server(url)


def _file(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path.expanduser())
    except OSError:
        return None  # a file that does not exist yet is no one's input
    return (stat.st_dev, stat.st_ino)


def _server(url: sa.URL) -> Server:
    backend = url.get_backend_name()
    query = url.query
    postgres = backend == "postgresql"

    def option(name: str, env: str) -> str | None:
        given = query.get(name)
        value = given if isinstance(given, str) else None
        return value or (os.environ.get(env) if postgres else None)

    host = url.host or option("host", "PGHOST")
    port = url.port or option("port", "PGPORT") or DEFAULT_PORTS.get(backend)
    user = url.username or option("user", "PGUSER") or (getpass.getuser() if postgres else None)
    database = url.database or option("dbname", "PGDATABASE") or (user if postgres else None)
    number = str(port) if port else ""
    return Server(backend, _addresses(host), int(number) if number.isdigit() else None, database)


def _addresses(host: str | None) -> frozenset[str]:
    if not host or host.startswith("/"):  # no host, or a Unix socket folder: this machine
        return LOCAL
    try:
        found = {str(info[4][0]) for info in socket.getaddrinfo(host.strip("[]"), None)}
    except (socket.gaierror, UnicodeError):
        return frozenset({host.lower()})
    if any(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found):
        return LOCAL
    return frozenset(found)
