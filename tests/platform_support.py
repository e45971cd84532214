"""Test helpers for the platform: people signed up through the API, and bank links walked
through the sandbox bank's real login pages like a browser would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from tests.sandbox.consent_flow import decide, log_in
from tests.tls import shared_tls

_people = itertools.count(1)
PASSWORD = "correct horse battery staple 42"


@dataclass
class Person:
    """A signed-up person: an API client holding their cookies and CSRF token."""

    api: httpx.AsyncClient
    id: str
    email: str

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.api.post(path, **kwargs)


async def sign_up(app: Any, *, language: str = "en", name: str = "Test Person") -> Person:
    """A new person with their own client (own cookie jar) on the platform ``app``."""
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://platform.test", timeout=30
    )
    email = f"person{next(_people)}@example.org"
    response = await api.post(
        "/api/v1/auth/signup",
        json={"email": email, "displayName": name, "password": PASSWORD, "language": language},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    api.headers["X-CSRF-Token"] = body["csrfToken"]
    return Person(api=api, id=body["person"]["id"], email=email)


async def start_link(
    person: Person,
    bank_id: str,
    *,
    scopes: tuple[str, ...] = ("balances", "transactions"),
    **extra: Any,
) -> str:
    """Start linking ``bank_id``; returns the bank's SCA page URL."""
    response = await person.api.post(
        "/api/v1/connections", json={"bankId": bank_id, "scopes": list(scopes), **extra}
    )
    assert response.status_code == 201, response.text
    url: str = response.json()["redirectUrl"]
    return url


async def at_bank(
    sca_url: str, login: str, password: str, decision: str, accounts: list[str] | None = None
) -> str:
    """Log in at the bank and decide; returns where the bank sends the browser back."""
    async with httpx.AsyncClient(timeout=30, verify=shared_tls()) as browser:
        page = await log_in(browser, sca_url, login, password)
        assert page.status_code == 200, page.text
        response = await decide(browser, sca_url, page, decision, accounts)
        assert response.status_code in (302, 303), response.text
        return response.headers["location"]


async def come_back(person: Person, location: str) -> httpx.Response:
    """Follow the bank's redirect back to the platform, as the person's browser."""
    return await person.api.get(httpx.URL(location).raw_path.decode())


async def link(
    person: Person,
    bank_id: str,
    customer: int = 1,
    *,
    accounts: list[str] | None = None,
    **extra: Any,
) -> str:
    """Link ``<bank>-c<customer>``'s accounts for ``person``; returns the connection id."""
    sca_url = await start_link(person, bank_id, **extra)
    location = await at_bank(
        sca_url, f"{bank_id}{customer}", f"pass-{bank_id}-{customer}", "approve", accounts
    )
    back = await come_back(person, location)
    assert back.status_code == 303, back.text
    target = httpx.URL(back.headers["location"])
    assert target.params["link"] == "linked", back.headers["location"]
    return target.params["connection"]
