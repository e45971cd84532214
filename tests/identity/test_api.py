"""The identity routes over HTTP on SQLite and PostgreSQL: cookies, CSRF, the login rate
limit, problem details, and validation at the edge."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.config import Settings
from bankchat.identity.models import Person, SessionRecord
from bankchat.identity.schemas import SignUpRequest, is_plausible_email
from bankchat.identity.service import MAX_FAILURES_PER_EMAIL, normalise_email
from tests.identity.conftest import PASSWORD, Clock, client_for, log_in, sign_up

FOURTEEN_DAYS = str(14 * 24 * 3600)


def set_cookie(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the Set-Cookie header for ``name`` (lower-cased keys; flags as "")."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        key, _, value = first.partition("=")
        if key == name:
            parsed = {"value": value}
            for attribute in attributes:
                attribute_name, _, attribute_value = attribute.partition("=")
                parsed[attribute_name.lower()] = attribute_value
            return parsed
    raise AssertionError(f"no Set-Cookie for {name}")


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def stored_people(sessions: async_sessionmaker[AsyncSession]) -> list[Person]:
    async with sessions() as session:
        return list((await session.execute(select(Person))).scalars())


# -- sign-up --------------------------------------------------------------------------


async def test_sign_up_answers_the_person_and_a_csrf_token(http: httpx.AsyncClient) -> None:
    response = await sign_up(http, email="Anna@Example.org")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"person", "csrfToken"}
    assert set(body["person"]) == {"id", "email", "displayName", "language", "createdAt"}
    assert body["person"]["email"] == "anna@example.org"
    assert body["person"]["displayName"] == "Anna Schmidt"
    assert body["person"]["language"] == "de"


async def test_sign_up_sets_an_httponly_lax_session_cookie(http: httpx.AsyncClient) -> None:
    cookie = set_cookie(await sign_up(http), "bankchat_session")
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == FOURTEEN_DAYS
    assert "secure" not in cookie


async def test_sign_up_sets_a_script_readable_csrf_cookie(http: httpx.AsyncClient) -> None:
    response = await sign_up(http)
    cookie = set_cookie(response, "bankchat_csrf")
    assert cookie["value"] == response.json()["csrfToken"]
    assert "httponly" not in cookie
    assert cookie["samesite"].lower() == "lax"


async def test_cookies_are_secure_over_https(identity_app: FastAPI) -> None:
    async with client_for(identity_app, "https://testserver") as https:
        response = await sign_up(https)
    assert "secure" in set_cookie(response, "bankchat_session")
    assert "secure" in set_cookie(response, "bankchat_csrf")


async def test_cookie_secure_setting_forces_secure_over_http(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    settings.cookie_secure = True
    assert "secure" in set_cookie(await sign_up(http), "bankchat_session")


async def test_sign_up_logs_in(http: httpx.AsyncClient) -> None:
    person = (await sign_up(http)).json()["person"]
    me = await http.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json() == person


async def test_password_is_stored_as_argon2id_never_plaintext(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_up(http)
    [person] = await stored_people(sessions)
    assert person.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash


async def test_taken_email_in_another_case_is_a_conflict(
    identity_app: FastAPI, http: httpx.AsyncClient
) -> None:
    await sign_up(http)
    async with client_for(identity_app) as other:
        response = await sign_up(other, email="ANNA@example.ORG")
    assert_problem(response, 409, "EMAIL_TAKEN")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Xk9#mP2", "too_short"),
        ("Passwort2024!", "too_common"),
        ("qwertzuiop123", "too_common"),
        ("lieber kiwi.k 2024", "contains_email"),
        ("Reisende Schmidt 77", "contains_name"),
    ],
)
async def test_weak_password_is_refused_with_its_reason(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    password: str,
    reason: str,
) -> None:
    response = await sign_up(http, email="kiwi.k@example.org", password=password)
    assert_problem(response, 422, "WEAK_PASSWORD")
    assert response.json()["reasons"] == [reason]
    assert password not in response.text
    assert await stored_people(sessions) == []


async def test_overlong_password_is_a_validation_error_not_echoed(
    http: httpx.AsyncClient,
) -> None:
    password = "Xk9#mP2q!7" * 26
    response = await sign_up(http, password=password)
    assert_problem(response, 422, "VALIDATION_FAILED")
    assert "Xk9#mP2q!7" not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "displayName": "Anna", "password": "Tintenfisch 17 x"},
        {"email": "anna@example.org", "displayName": "   ", "password": "Tintenfisch 17 x"},
        {"email": "anna@example.org", "displayName": "A" * 81, "password": "Tintenfisch 17 x"},
        {"email": "anna@example.org", "displayName": "An\x00na", "password": "Tintenfisch 17 x"},
        {"email": "anna@example.org", "displayName": "Anna", "password": "Tintenfisch 17 x",
         "language": "fr"},
        {"email": "anna@example.org", "displayName": "Anna", "password": "Tintenfisch 17 x",
         "admin": True},
        {"email": "anna@example.org", "display_name": "Anna", "password": "Tintenfisch 17 x"},
        {"email": "anna@example.org", "displayName": "Anna"},
    ],
)  # fmt: skip
async def test_invalid_sign_up_is_a_validation_problem_without_the_password(
    http: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await http.post("/api/v1/auth/signup", json=body)
    assert_problem(response, 422, "VALIDATION_FAILED")
    assert "Tintenfisch" not in response.text


async def test_lone_surrogate_in_a_password_is_a_validation_problem(
    http: httpx.AsyncClient,
) -> None:
    raw = '{"email": "anna@example.org", "displayName": "Anna", "password": "Tinte\\ud800fisch 17"}'
    response = await http.post(
        "/api/v1/auth/signup", content=raw, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


# -- log-in ---------------------------------------------------------------------------


async def test_log_in_answers_like_sign_up_and_sets_the_cookies(
    identity_app: FastAPI, http: httpx.AsyncClient
) -> None:
    person = (await sign_up(http)).json()["person"]
    async with client_for(identity_app) as browser:
        response = await log_in(browser, email="ANNA@example.org")
        assert response.status_code == 200
        assert response.json()["person"] == person
        assert "httponly" in set_cookie(response, "bankchat_session")
        assert (await browser.get("/api/v1/me")).status_code == 200


async def test_wrong_password_and_unknown_email_get_identical_answers(
    http: httpx.AsyncClient,
) -> None:
    await sign_up(http)
    wrong_password = await log_in(http, password="Tintenfisch auf Reisen 18")
    unknown_email = await log_in(http, email="nobody@example.org")
    assert_problem(wrong_password, 401, "INVALID_CREDENTIALS")
    assert wrong_password.status_code == unknown_email.status_code
    assert wrong_password.json() == unknown_email.json()
    assert "set-cookie" not in wrong_password.headers


@pytest.mark.parametrize("email", ["anna@example.org", "nobody@example.org"])
async def test_sixth_try_after_five_failures_is_rate_limited(
    http: httpx.AsyncClient, email: str
) -> None:
    await sign_up(http)
    for _ in range(MAX_FAILURES_PER_EMAIL):
        assert (await log_in(http, email=email, password="wrong wrong 1")).status_code == 401
    response = await log_in(http, email=email)
    assert_problem(response, 429, "LOGIN_RATE_LIMITED")
    assert response.headers["retry-after"] == "900"
    assert response.json()["retry_after"] == 900


async def test_parallel_wrong_passwords_reach_the_password_check_at_most_limit_times(
    http: httpx.AsyncClient,
) -> None:
    await sign_up(http)
    responses = await asyncio.gather(*(log_in(http, password="wrong wrong 1") for _ in range(20)))
    statuses = [response.status_code for response in responses]
    assert statuses.count(401) <= MAX_FAILURES_PER_EMAIL
    assert statuses.count(429) == len(statuses) - statuses.count(401)


async def test_rate_limit_holds_for_a_new_client(
    identity_app: FastAPI, http: httpx.AsyncClient
) -> None:
    await sign_up(http)
    for _ in range(MAX_FAILURES_PER_EMAIL):
        await log_in(http, password="wrong wrong 1")
    async with client_for(identity_app) as fresh:
        assert_problem(await log_in(fresh), 429, "LOGIN_RATE_LIMITED")


async def test_cross_origin_log_in_is_refused(http: httpx.AsyncClient) -> None:
    await sign_up(http)
    response = await http.post(
        "/api/v1/auth/login",
        json={"email": "anna@example.org", "password": PASSWORD},
        headers={"origin": "https://evil.example"},
    )
    assert_problem(response, 403, "CSRF_FAILED")
    assert "set-cookie" not in response.headers


async def test_same_origin_log_in_is_accepted(http: httpx.AsyncClient) -> None:
    await sign_up(http)
    response = await http.post(
        "/api/v1/auth/login",
        json={"email": "anna@example.org", "password": PASSWORD},
        headers={"origin": "http://testserver"},
    )
    assert response.status_code == 200


async def test_cross_origin_sign_up_creates_nobody(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await http.post(
        "/api/v1/auth/signup",
        json={"email": "anna@example.org", "displayName": "Anna", "password": PASSWORD},
        headers={"origin": "null"},
    )
    assert_problem(response, 403, "CSRF_FAILED")
    assert await stored_people(sessions) == []


# -- sessions and CSRF ----------------------------------------------------------------


async def test_without_a_session_cookie_routes_answer_401(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/api/v1/me"), 401, "NOT_AUTHENTICATED")
    assert_problem(await http.get("/api/v1/auth/session"), 401, "NOT_AUTHENTICATED")


async def test_session_route_hands_back_the_csrf_token(http: httpx.AsyncClient) -> None:
    signed_up = (await sign_up(http)).json()
    response = await http.get("/api/v1/auth/session")
    assert response.status_code == 200
    assert response.json() == signed_up


async def test_unsafe_request_with_the_csrf_token_is_served(http: httpx.AsyncClient) -> None:
    body = (await sign_up(http)).json()
    response = await http.post("/api/v1/test/whoami", headers={"X-CSRF-Token": body["csrfToken"]})
    assert response.status_code == 200
    assert response.json() == {"personId": body["person"]["id"]}


@pytest.mark.parametrize(
    "headers", [[], [(b"X-CSRF-Token", b"wrong")], [(b"X-CSRF-Token", "ä".encode("latin-1"))]]
)
async def test_unsafe_request_without_the_right_csrf_token_is_refused(
    http: httpx.AsyncClient, headers: list[tuple[bytes, bytes]]
) -> None:
    await sign_up(http)
    assert_problem(await http.post("/api/v1/test/whoami", headers=headers), 403, "CSRF_FAILED")


async def test_profile_change_without_csrf_token_changes_nothing(http: httpx.AsyncClient) -> None:
    await sign_up(http, language="de")
    response = await http.patch("/api/v1/me", json={"language": "en"})
    assert_problem(response, 403, "CSRF_FAILED")
    assert (await http.get("/api/v1/me")).json()["language"] == "de"


async def test_patch_me_changes_language_and_display_name(http: httpx.AsyncClient) -> None:
    csrf = (await sign_up(http, language="de")).json()["csrfToken"]
    response = await http.patch(
        "/api/v1/me",
        json={"language": "en", "displayName": "  Anna S.  "},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert (response.json()["language"], response.json()["displayName"]) == ("en", "Anna S.")
    assert (await http.get("/api/v1/me")).json() == response.json()


async def test_patch_me_refuses_an_unknown_language(http: httpx.AsyncClient) -> None:
    csrf = (await sign_up(http)).json()["csrfToken"]
    response = await http.patch(
        "/api/v1/me", json={"language": "fr"}, headers={"X-CSRF-Token": csrf}
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


async def test_log_out_ends_the_session_and_clears_the_cookies(
    identity_app: FastAPI, http: httpx.AsyncClient
) -> None:
    csrf = (await sign_up(http)).json()["csrfToken"]
    token = http.cookies["bankchat_session"]
    response = await http.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert set_cookie(response, "bankchat_session")["max-age"] == "0"
    assert set_cookie(response, "bankchat_csrf")["max-age"] == "0"
    async with client_for(identity_app) as replay:
        replay.cookies.set("bankchat_session", token)
        assert_problem(await replay.get("/api/v1/me"), 401, "NOT_AUTHENTICATED")


async def test_log_out_without_csrf_token_keeps_the_session(http: httpx.AsyncClient) -> None:
    await sign_up(http)
    assert_problem(await http.post("/api/v1/auth/logout"), 403, "CSRF_FAILED")
    assert (await http.get("/api/v1/me")).status_code == 200


async def test_expired_session_answers_401(
    http: httpx.AsyncClient, clock: Clock, settings: Settings
) -> None:
    await sign_up(http)
    clock.advance(timedelta(days=settings.session_days))
    assert_problem(await http.get("/api/v1/me"), 401, "NOT_AUTHENTICATED")


async def test_route_writing_in_its_own_transaction_after_an_idle_minute_succeeds(
    http: httpx.AsyncClient, clock: Clock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_up(http)
    clock.advance(timedelta(minutes=2))
    response = await http.get("/api/v1/test/write-elsewhere")
    assert response.status_code == 200, response.text
    assert response.json() == {"language": "en"}
    async with sessions() as session:
        [record] = (await session.execute(select(SessionRecord))).scalars()
    assert record.last_seen_at == clock()


async def test_expired_session_is_forgotten_when_presented(
    http: httpx.AsyncClient,
    clock: Clock,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await sign_up(http)
    clock.advance(timedelta(days=settings.session_days))
    await http.get("/api/v1/me")
    async with sessions() as session:
        assert (await session.execute(select(SessionRecord))).scalars().all() == []


async def test_made_up_session_cookie_answers_401(identity_app: FastAPI) -> None:
    async with client_for(identity_app) as client:
        client.cookies.set("bankchat_session", "made-up")
        assert_problem(await client.get("/api/v1/me"), 401, "NOT_AUTHENTICATED")


def test_openapi_documents_the_routes_and_their_problems(identity_app: FastAPI) -> None:
    paths = identity_app.openapi()["paths"]
    signup = paths["/api/v1/auth/signup"]["post"]
    assert "application/problem+json" in signup["responses"]["409"]["content"]
    assert "201" in signup["responses"]
    assert "429" in paths["/api/v1/auth/login"]["post"]["responses"]
    assert "patch" in paths["/api/v1/me"]


# -- the email check ------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["anna@example.org", "a.b-c+tag@mail.example.co.uk", "x@xn--bcher-kva.example"],
)
def test_plausible_emails_pass(email: str) -> None:
    assert is_plausible_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "anna",
        "anna@",
        "@example.org",
        "anna@example",
        "anna@@example.org",
        "anna@exa mple.org",
        ".anna@example.org",
        "an..na@example.org",
        "anna@-example.org",
        "anna@example.123",
        "anna@exämple.org",
        "a" * 65 + "@example.org",
        "anna@" + "a" * 250 + ".org",
    ],
)
def test_implausible_emails_fail(email: str) -> None:
    assert not is_plausible_email(email)


@given(st.text(max_size=300))
def test_email_check_never_raises_and_is_deterministic(text: str) -> None:
    assert is_plausible_email(text) == is_plausible_email(text)


@given(st.emails())
def test_a_plausible_email_stays_plausible_once_normalised(email: str) -> None:
    if is_plausible_email(email):
        assert is_plausible_email(normalise_email(email))
        assert email.count("@") == 1
        assert len(email) <= 254


@given(
    st.dictionaries(
        st.sampled_from(["email", "displayName", "password", "language", "other"]),
        st.one_of(st.text(max_size=300), st.integers(), st.none()),
    )
)
def test_sign_up_body_either_validates_or_raises_a_validation_error(
    body: dict[str, object],
) -> None:
    try:
        request = SignUpRequest.model_validate_json(json.dumps(body))
    except ValidationError:
        return
    assert is_plausible_email(request.email)
    assert 1 <= len(request.display_name) <= 80
