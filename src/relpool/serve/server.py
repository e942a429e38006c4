"""Running the app: a listening socket bound first (so a taken port is one clear error, and port 0 picks a
free one), then uvicorn serving on it in this process."""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from relpool.errors import RelpoolError


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (IPv4 or IPv6, as the host resolves)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise RelpoolError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def server(app: FastAPI, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for ``app``; ``.run(sockets=[listen(...)])`` serves until stopped (Ctrl-C, or
    ``should_exit`` set from another thread)."""
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=log_level == "debug"))
