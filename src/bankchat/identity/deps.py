"""FastAPI dependencies for routes that need to know who is asking.

``CurrentPerson`` reads the session cookie and, for unsafe methods, also demands the
session's CSRF token in the ``X-CSRF-Token`` header. A route that depends on it is
therefore safe against cross-site request forgery by construction.

It uses short units of work of its own and never the request's, so the writes
that signing in brings (``last_seen_at``) are committed before the route starts and
hold no lock while it runs.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie

from bankchat.api_deps import PlatformDep
from bankchat.errors import Forbidden, Unauthenticated
from bankchat.identity.flows import authenticate
from bankchat.identity.service import AuthenticatedSession

SESSION_COOKIE: Final = "bankchat_session"
CSRF_COOKIE: Final = "bankchat_csrf"
CSRF_HEADER: Final = "X-CSRF-Token"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotAuthenticated(Unauthenticated):
    code = "NOT_AUTHENTICATED"


class CsrfFailed(Forbidden):
    code = "CSRF_FAILED"


session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="sessionCookie",
    auto_error=False,
    description=(
        "Set by sign-up and log-in. Unsafe requests (POST, PUT, PATCH, DELETE) must also "
        f"send the session's CSRF token in the {CSRF_HEADER} header."
    ),
)
SessionToken = Annotated[str | None, Depends(session_cookie)]


def csrf_matches(sent: str | None, expected: str) -> bool:
    """Constant-time comparison, so the time taken does not leak the token."""
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


async def current_person(
    request: Request, token: SessionToken, platform: PlatformDep
) -> AuthenticatedSession:
    if not token:
        raise NotAuthenticated("Log in first.")
    signed_in = await authenticate(platform.unit_of_work, token, now=platform.clock())
    if signed_in is None:
        raise NotAuthenticated("The session has ended; log in again.")
    if request.method in UNSAFE_METHODS and not csrf_matches(
        request.headers.get(CSRF_HEADER), signed_in.csrf_token
    ):
        raise CsrfFailed(f"The {CSRF_HEADER} header is missing or wrong.")
    return signed_in


CurrentPerson = Annotated[AuthenticatedSession, Depends(current_person)]
