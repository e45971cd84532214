"""Errors the platform reports to clients, and their rendering as problem details.

Every refusal a person or client can cause is a ``DomainError`` with a stable ``code``
(upper snake case, documented in the OpenAPI description) and an HTTP status. The API
renders it as ``application/problem+json`` (RFC 9457); services raise it without knowing
about HTTP beyond the status they suggest. Anything else that escapes a route is logged
and answered with a generic 500 problem that carries no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal with a stable machine-readable code and a human-readable detail."""

    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra: dict[str, Any] = dict(extra or {})


class NotFound(DomainError):
    """The resource does not exist, or is not the caller's (never say which)."""

    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class Unauthenticated(DomainError):
    status = 401
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


class TooManyRequests(DomainError):
    status = 429
    code = "TOO_MANY_REQUESTS"


class UpstreamUnavailable(DomainError):
    """A bank or other upstream did not answer usefully; nothing was changed here."""

    status = 502
    code = "UPSTREAM_UNAVAILABLE"


class Problem(BaseModel):
    """An RFC 9457 problem; ``code`` is stable, other members depend on the code."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None


def problem_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problems a route can answer with."""
    return {
        status: {
            "description": description,
            "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
        }
        for status, description in described.items()
    }


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response; ``code`` is the stable identifier clients switch on."""
    body: dict[str, Any] = {
        "type": f"https://bankchat.dev/problems/{code.lower().replace('_', '-')}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and what, without echoing the rejected input back (it may be a password)."""
    return [
        {"location": [str(part) for part in error.get("loc", ())], "message": error.get("msg")}
        for error in errors
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error ``app`` can raise as problem+json with a stable code."""

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        headers = (
            {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        )
        return problem(
            exc.status,
            exc.code,
            exc.detail,
            instance=request.url.path,
            extra=exc.extra,
            headers=headers,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem(
            422,
            "VALIDATION_FAILED",
            "The request is not valid; see errors.",
            instance=request.url.path,
            extra={"errors": _validation_errors(exc.errors())},
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {
            400: "BAD_REQUEST",
            404: "NOT_FOUND",
            405: "METHOD_NOT_ALLOWED",
            401: "UNAUTHENTICATED",
            403: "FORBIDDEN",
        }.get(exc.status_code, f"HTTP_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, code, detail, instance=request.url.path)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500, "INTERNAL_ERROR", "Something went wrong on our side.", instance=request.url.path
        )

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
