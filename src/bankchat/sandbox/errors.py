"""NextGenPSD2 error reporting: every failure leaves as ``tppMessages`` with a code.

Handlers raise :class:`Psd2Error`; the app turns it, and every framework error (bad
JSON, unknown route, wrong method), into the spec's error body. Nothing escapes as a
500 with a traceback.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class Psd2Error(Exception):
    """A failure reported to the TPP as ``{"tppMessages": [...]}`` with ``status``."""

    def __init__(self, status: int, code: str, text: str, *, path: str | None = None) -> None:
        super().__init__(f"{status} {code}: {text}")
        self.status = status
        self.code = code
        self.text = text
        self.path = path


def format_error(text: str, path: str | None = None) -> Psd2Error:
    return Psd2Error(400, "FORMAT_ERROR", text, path=path)


def resource_unknown(text: str, status: int = 404) -> Psd2Error:
    return Psd2Error(status, "RESOURCE_UNKNOWN", text)


def error_body(code: str, text: str, path: str | None = None) -> dict[str, object]:
    message: dict[str, str] = {"category": "ERROR", "code": code, "text": text[:500]}
    if path:
        message["path"] = path
    return {"tppMessages": [message]}


def error_response(request: Request, error: Psd2Error) -> JSONResponse:
    # The spec requires X-Request-ID on every response; a request that lacked one (itself
    # an error) gets a fresh id so the TPP can still quote it.
    headers = {"X-Request-ID": request.headers.get("X-Request-ID") or str(uuid.uuid4())}
    return JSONResponse(
        error_body(error.code, error.text, error.path), status_code=error.status, headers=headers
    )


_HTTP_STATUS_CODES = {
    401: "CERTIFICATE_INVALID",
    403: "SERVICE_BLOCKED",
    404: "RESOURCE_UNKNOWN",
    405: "SERVICE_INVALID",
    406: "REQUESTED_FORMATS_INVALID",
    415: "FORMAT_ERROR",
}


def _describe_validation(error: RequestValidationError) -> tuple[str, str | None]:
    first = error.errors()[0] if error.errors() else {}
    location = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "invalid request"))
    return (f"{location}: {message}" if location else message), (location or None)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a NextGenPSD2 error response."""

    @app.exception_handler(Psd2Error)
    async def _psd2(request: Request, exc: Psd2Error) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        text, path = _describe_validation(exc)
        return error_response(request, format_error(text, path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_STATUS_CODES.get(exc.status_code, "FORMAT_ERROR")
        text = str(exc.detail) if exc.detail else "request not accepted"
        return error_response(request, Psd2Error(exc.status_code, code, text))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"path": request.url.path})
        return error_response(
            request, Psd2Error(500, "INTERNAL_SERVER_ERROR", "the bank could not answer")
        )
