"""One person can never see or touch another's connections, accounts, data or log, on
any route. The table below names every route with a path parameter or data; a new route
that is not listed fails ``test_every_person_route_is_covered``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from bankchat.platform import Platform
from tests.platform_support import Person, link, sign_up

# Routes that belong to no person (public, or authenticated by the bank's signature).
PUBLIC = {
    "/api/v1/auth/signup",
    "/api/v1/auth/login",
    "/api/v1/banks",
    "/hooks/banks/{bank_id}",
}


async def _owner_data(owner: Person) -> dict[str, Any]:
    connection_id = await link(owner, "nordbank")
    transactions = (await owner.api.get("/api/v1/transactions")).json()
    accounts = (await owner.api.get("/api/v1/accounts")).json()
    checking = next(a for a in accounts if a["kind"] == "checking")
    return {
        "connection": connection_id,
        "transaction": transactions[0]["id"],
        "account": checking["id"],
        "iban": checking["iban"],
        "text": transactions[0]["counterpartyName"],
    }


# (method, path template, expected status for someone else's resource)
PROBES: list[tuple[str, str, set[int]]] = [
    ("GET", "/api/v1/connections/{connection}", {404}),
    ("DELETE", "/api/v1/connections/{connection}", {404}),
    ("POST", "/api/v1/connections/{connection}/sync", {404}),
    ("PATCH", "/api/v1/transactions/{transaction}", {404}),
    ("GET", "/api/v1/transactions?accountId={account}", {403}),
]


@pytest.fixture
async def owner_and_other(platform_app: FastAPI) -> tuple[Person, Person, dict[str, Any]]:
    owner = await sign_up(platform_app)
    data = await _owner_data(owner)
    other = await sign_up(platform_app)
    await link(other, "suedbank")
    return owner, other, data


@pytest.mark.parametrize(("method", "template", "statuses"), PROBES)
async def test_someone_elses_resource_is_out_of_reach(
    owner_and_other: tuple[Person, Person, dict[str, Any]],
    method: str,
    template: str,
    statuses: set[int],
) -> None:
    owner, other, data = owner_and_other
    kwargs: dict[str, Any] = {"json": {"note": "mine now"}} if method == "PATCH" else {}
    response = await other.api.request(method, template.format(**data), **kwargs)
    assert response.status_code in statuses, response.text
    # The owner's data is untouched.
    connection = (await owner.api.get(f"/api/v1/connections/{data['connection']}")).json()
    assert connection["status"] == "valid"
    notes = {t["id"]: t["note"] for t in (await owner.api.get("/api/v1/transactions")).json()}
    assert notes[data["transaction"]] is None


# Routes that list or show the caller's own data, with no id in the path to swap.
OWN_DATA_ROUTES = (
    "/api/v1/connections",
    "/api/v1/accounts",
    "/api/v1/transactions",
    "/api/v1/privacy/connections",
    "/api/v1/privacy/access-log",
    "/api/v1/privacy/export",
    "/api/v1/me",
    "/api/v1/auth/session",
)


@pytest.mark.parametrize("path", OWN_DATA_ROUTES)
async def test_lists_show_only_the_callers_own_data(
    owner_and_other: tuple[Person, Person, dict[str, Any]], path: str
) -> None:
    owner, other, data = owner_and_other
    response = await other.api.get(path)
    assert response.status_code == 200, response.text
    body = response.text
    for key in ("connection", "account", "transaction", "iban"):
        assert data[key] not in body, key
    assert owner.id not in body
    assert owner.email not in body
    json.loads(body)


def test_every_person_route_is_covered(platform_app: FastAPI) -> None:
    probed = {template.split("?")[0] for _, template, _ in PROBES}
    listed = {
        *OWN_DATA_ROUTES,
        # Acting on the caller's own session or person only, no foreign id possible:
        "/api/v1/auth/logout",
        "/api/v1/privacy/erase",
        "/api/v1/connections/callback",  # covered in test_linking (foreign state refused)
    }
    names = {
        "{connection}": "{connection_id}",
        "{transaction}": "{transaction_id}",
    }
    for short, long in names.items():
        probed = {p.replace(short, long) for p in probed}
    routes = {
        route.path
        for route in platform_app.routes
        if isinstance(route, APIRoute) and route.path not in PUBLIC
    }
    assert routes - probed - listed == set()


async def test_a_person_never_sees_anothers_log_entries(
    owner_and_other: tuple[Person, Person, dict[str, Any]], platform: Platform
) -> None:
    owner, other, _data = owner_and_other
    theirs = (await other.api.get("/api/v1/privacy/access-log")).json()["entries"]
    mine = (await owner.api.get("/api/v1/privacy/access-log")).json()["entries"]
    assert theirs
    assert mine
    assert all("Nordbank" not in e["text"] for e in theirs)
