"""HTTP routes for signing up, logging in and out, and the person's own profile.

Thin: each route validates its body, calls ``bankchat.identity.service`` (or, for
logging in, ``flows``) and turns the result into cookies and JSON.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from bankchat.api_deps import PlatformDep, TxDep
from bankchat.config import Settings
from bankchat.errors import problem_responses
from bankchat.identity import flows, service
from bankchat.identity.deps import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    CsrfFailed,
    CurrentPerson,
    SessionToken,
)
from bankchat.identity.passwords import hasher
from bankchat.identity.schemas import (
    LogInRequest,
    PersonOut,
    ProfileUpdate,
    SessionOut,
    SignUpRequest,
)
from bankchat.identity.service import NewSession

router = APIRouter(tags=["people"])

_INVALID_BODY = {422: "VALIDATION_FAILED: the body is not valid (the errors never echo input)."}
_CROSS_SITE = {403: "CSRF_FAILED: the request came from another site."}
_NOT_SIGNED_IN = {401: "NOT_AUTHENTICATED: no session cookie, or the session has ended."}
_UNSAFE = {
    **_NOT_SIGNED_IN,
    403: f"CSRF_FAILED: the {CSRF_HEADER} header is missing or does not match the session.",
}


def _refuse_cross_site(request: Request) -> None:
    """Refuse a form another site makes a browser post to us (login CSRF).

    Sign-up and log-in have no session yet, hence no CSRF token; browsers send
    ``Origin`` on cross-site posts, and a mismatch with our own host gives them away.
    """
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.url.netloc.lower():
        raise CsrfFailed("Sign-up and log-in are only accepted from this site.")


def _secure_cookies(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def _set_session_cookies(
    response: Response, request: Request, settings: Settings, new: NewSession, now: datetime
) -> None:
    max_age = int((new.expires_at - now).total_seconds())
    secure = _secure_cookies(request, settings)
    for name, value, httponly in (
        (SESSION_COOKIE, new.token, True),
        # Readable by the web UI's JavaScript, which copies it into the CSRF header.
        (CSRF_COOKIE, new.csrf_token, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=secure,
            httponly=httponly,
            samesite="lax",
        )


def _clear_session_cookies(response: Response, request: Request, settings: Settings) -> None:
    secure = _secure_cookies(request, settings)
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")


def _lifetime(settings: Settings) -> timedelta:
    return timedelta(days=settings.session_days)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/auth/signup",
    status_code=201,
    response_model=SessionOut,
    summary="Create an account and log in",
    responses=problem_responses(
        {
            **_CROSS_SITE,
            409: "EMAIL_TAKEN: an account with this email address exists.",
            422: "WEAK_PASSWORD (with `reasons`) or VALIDATION_FAILED.",
        }
    ),
)
async def sign_up(
    body: SignUpRequest,
    request: Request,
    response: Response,
    tx: TxDep,
    platform: PlatformDep,
) -> SessionOut:
    _refuse_cross_site(request)
    settings = platform.settings
    now = platform.clock()
    person = await service.sign_up(
        tx,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        language=body.language,
        hasher=hasher(settings.password_hash_profile),
        now=now,
    )
    new = await service.start_session(tx, person.id, now=now, lifetime=_lifetime(settings))
    _set_session_cookies(response, request, settings, new, now)
    return SessionOut(person=PersonOut.model_validate(person), csrf_token=new.csrf_token)


@router.post(
    "/auth/login",
    response_model=SessionOut,
    summary="Log in",
    responses=problem_responses(
        {
            401: "INVALID_CREDENTIALS: the email address or the password is wrong.",
            **_CROSS_SITE,
            **_INVALID_BODY,
            429: "LOGIN_RATE_LIMITED: too many failures; see `retry_after` and Retry-After.",
        }
    ),
)
async def log_in(
    body: LogInRequest, request: Request, response: Response, platform: PlatformDep
) -> SessionOut:
    _refuse_cross_site(request)
    settings = platform.settings
    now = platform.clock()
    person, new = await flows.log_in(
        platform.unit_of_work,
        email=body.email,
        password=body.password,
        ip=_client_ip(request),
        hasher=hasher(settings.password_hash_profile),
        now=now,
        lifetime=_lifetime(settings),
    )
    _set_session_cookies(response, request, settings, new, now)
    return SessionOut(person=PersonOut.model_validate(person), csrf_token=new.csrf_token)


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    summary="Log out of this session",
    responses=problem_responses(_UNSAFE),
)
async def log_out(
    _signed_in: CurrentPerson,
    token: SessionToken,
    request: Request,
    tx: TxDep,
    platform: PlatformDep,
) -> Response:
    assert token is not None  # CurrentPerson has refused requests without one
    await service.log_out(tx, token)
    response = Response(status_code=204)
    _clear_session_cookies(response, request, platform.settings)
    return response


@router.get(
    "/auth/session",
    response_model=SessionOut,
    summary="Who is logged in, and their CSRF token (after a page reload)",
    responses=problem_responses(_NOT_SIGNED_IN),
)
async def current_session(signed_in: CurrentPerson) -> SessionOut:
    return SessionOut(
        person=PersonOut.model_validate(signed_in.person), csrf_token=signed_in.csrf_token
    )


@router.get(
    "/me",
    response_model=PersonOut,
    summary="The logged-in person's profile",
    responses=problem_responses(_NOT_SIGNED_IN),
)
async def read_profile(signed_in: CurrentPerson) -> PersonOut:
    return PersonOut.model_validate(signed_in.person)


@router.patch(
    "/me",
    response_model=PersonOut,
    summary="Change display name or language",
    responses=problem_responses({**_UNSAFE, **_INVALID_BODY}),
)
async def update_profile(body: ProfileUpdate, signed_in: CurrentPerson, tx: TxDep) -> PersonOut:
    person = await service.update_profile(
        tx,
        signed_in.person.id,
        display_name=body.display_name,
        language=body.language,
    )
    return PersonOut.model_validate(person)
