"""Bad requests become a 4xx with one sentence, ``{"detail": "..."}``, never a 500 with a traceback.

- malformed JSON: 400, with where the parser stopped;
- a request of the wrong shape (a missing or unknown field, a wrong type, an empty or too long list): 422,
  naming the field and what it should be;
- a :class:`~relpool.errors.RelpoolError` raised while answering (an unknown entity, a time outside the
  data, an unreadable time): 422 with its message, as the CLI prints it.

Anything else is a bug: a 500 whose detail names only the exception's type; the traceback goes to the
server's log, not to the caller.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from relpool.errors import RelpoolError

log = logging.getLogger("relpool.serve")


def describe(errors: list[dict]) -> tuple[int, str]:
    """The status and one sentence for a request FastAPI could not validate (its first error)."""
    first = errors[0]
    if first["type"] == "json_invalid":
        return 400, f"the request body is not valid JSON ({first.get('ctx', {}).get('error', 'unreadable')})"
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"][1:]).lstrip(".")
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        return 422, f"the request needs the field '{path}'"
    if first["type"] == "extra_forbidden":
        return 422, f"the request has an unknown field '{path}'"
    if not path:
        return 422, f"the request body must be a JSON object: {message}"
    return 422, f"{path}: {message}"


def install(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, detail = describe(list(exc.errors()))
        return JSONResponse({"detail": detail}, status_code=status)

    @app.exception_handler(RelpoolError)
    async def user_error(_: Request, exc: RelpoolError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server's log"}, status_code=500)
