"""Validation of every NextGenPSD2 response a test receives against the official spec.

The spec is read from ``$BANKCHAT_SPEC_DIR/nextgenpsd2/psd2-api_v1.3.11.yaml``. The sandbox
serves each bank under ``/banks/<id>/v1/...``; the spec's server is
``https://api.testbank.com/psd2``, so paths are mapped onto it before validation.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_FILE = Path("nextgenpsd2") / "psd2-api_v1.3.11.yaml"
_BANK_PATH = re.compile(r"^/banks/[^/]+(/v1/.*)$")


def spec_path() -> Path | None:
    spec_dir = os.environ.get("BANKCHAT_SPEC_DIR")
    if not spec_dir:
        return None
    path = Path(spec_dir) / SPEC_FILE
    return path if path.is_file() else None


@cache
def load_spec(path: Path) -> OpenAPI:
    """The spec, to validate responses with. Whether the spec document itself is valid
    OpenAPI takes seconds to check: ``check_spec`` does it, in a test of its own, instead
    of every test process doing it on loading."""
    return OpenAPI.from_file_path(str(path), config=Config(spec_validator_cls=None))


def check_spec(path: Path) -> None:
    """Raise unless the spec document at ``path`` is valid OpenAPI."""
    OpenAPI.from_file_path(str(path))


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    data: bytes
    headers: Headers
    content_type: str


def spec_path_of(url_path: str) -> str | None:
    """The spec path for a sandbox URL path, or None if it is not a NextGenPSD2 call."""
    match = _BANK_PATH.match(url_path)
    return f"/psd2{match.group(1)}" if match else None


class ConformanceError(AssertionError):
    """A sandbox response that the official spec does not allow."""


@dataclass
class Conformance:
    """Validates responses and counts what it checked."""

    spec: OpenAPI
    checked: int = 0

    def check(self, response: httpx.Response) -> None:
        path = spec_path_of(response.request.url.path)
        if path is None:
            return
        request = response.request
        req = _Request(
            host_url="https://api.testbank.com",
            path=path,
            method=request.method.lower(),
            body=request.content or None,
            content_type=request.headers.get("content-type", ""),
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(request.url.params.multi_items())),
                header=Headers(list(request.headers.items())),
            ),
        )
        resp = _Response(
            status_code=response.status_code,
            data=response.content,
            headers=Headers(list(response.headers.items())),
            content_type=response.headers.get("content-type", "").split(";")[0],
        )
        try:
            self.spec.validate_response(req, resp)
        except PathNotFound:
            # A route the standard does not define (a wrong URL in a negative test).
            return
        except Exception as exc:
            raise ConformanceError(
                f"{request.method} {request.url.path} -> {response.status_code} breaks the "
                f"NextGenPSD2 spec: {exc!r}\n{_details(exc)}\nbody: {response.text[:1000]}"
            ) from exc
        self.checked += 1

    async def hook(self, response: httpx.Response) -> None:
        await response.aread()
        self.check(response)


def _details(exc: BaseException) -> Any:
    cause = exc.__cause__ or exc.__context__
    parts = []
    while cause is not None and len(parts) < 4:
        parts.append(repr(cause)[:800])
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts.extend(str(e)[:800] for e in list(schema_errors)[:3])
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)
