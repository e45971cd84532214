"""Linking a bank through its own login, over real HTTP against the sandbox bank."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bankchat.banking import flows, service
from bankchat.banking.models import Connection, LinkAttempt
from bankchat.platform import Platform
from bankchat.sandbox.model import ConsentStatus
from bankchat.sandbox.world import World
from tests.platform_support import at_bank, come_back, link, sign_up, start_link


async def _count(platform: Platform, model: type[object]) -> int:
    async with platform.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_linking_stores_the_connection_with_the_accounts_the_person_chose(
    platform_app: FastAPI, platform: Platform
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank")
    response = await person.api.get(f"/api/v1/connections/{connection_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid"
    assert body["scopes"] == ["balances", "transactions"]
    assert body["frequencyPerDay"] == 4
    assert len(body["accountIds"]) == 3  # checking, savings and card, as ticked at the bank


async def test_linking_only_the_accounts_ticked_at_the_bank(
    platform_app: FastAPI, world: World
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank", accounts=["nordbank-c1-chk"])
    body = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()
    assert len(body["accountIds"]) == 1
    accounts = (await person.api.get("/api/v1/accounts")).json()
    assert [a["iban"] for a in accounts] == [world.accounts["nordbank-c1-chk"].iban]


async def test_first_sync_runs_at_link_time(platform_app: FastAPI, world: World) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    transactions = (await person.api.get("/api/v1/transactions")).json()
    expected = sum(
        len(world.transactions[a])
        for a in ("nordbank-c1-chk", "nordbank-c1-sav", "nordbank-c1-card")
    )
    assert len(transactions) == expected
    accounts = (await person.api.get("/api/v1/accounts")).json()
    checking = next(a for a in accounts if a["kind"] == "checking")
    types = {b["balanceType"]: b["amount"]["amount"] for b in checking["balances"]}
    assert types["expected"] == "2445.40"


async def test_denied_link_leaves_nothing_behind(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person = await sign_up(platform_app)
    sca_url = await start_link(person, "nordbank")
    location = await at_bank(sca_url, "nordbank1", "pass-nordbank-1", "deny")
    back = await come_back(person, location)
    assert back.status_code == 303
    assert httpx.URL(back.headers["location"]).params["link"] == "denied"
    assert await _count(platform, Connection) == 0
    assert await _count(platform, LinkAttempt) == 0
    assert (await person.api.get("/api/v1/connections")).json() == []


async def test_coming_back_twice_with_the_same_state_is_refused(platform_app: FastAPI) -> None:
    person = await sign_up(platform_app)
    sca_url = await start_link(person, "nordbank")
    location = await at_bank(sca_url, "nordbank1", "pass-nordbank-1", "approve")
    assert (await come_back(person, location)).status_code == 303
    again = await come_back(person, location)
    assert again.status_code == 404
    assert again.json()["code"] == "LINK_UNKNOWN"
    assert len((await person.api.get("/api/v1/connections")).json()) == 1


async def test_another_person_cannot_complete_someone_elses_link(platform_app: FastAPI) -> None:
    owner = await sign_up(platform_app)
    intruder = await sign_up(platform_app)
    sca_url = await start_link(owner, "nordbank")
    location = await at_bank(sca_url, "nordbank1", "pass-nordbank-1", "approve")
    stolen = await come_back(intruder, location)
    assert stolen.status_code == 404
    assert (await intruder.api.get("/api/v1/connections")).json() == []
    # The owner's flow is untouched by the attempt.
    assert (await come_back(owner, location)).status_code == 303
    assert len((await owner.api.get("/api/v1/connections")).json()) == 1


async def test_abandoned_link_is_forgotten_here_and_at_the_bank(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person = await sign_up(platform_app)
    await start_link(person, "nordbank")
    [consent] = [c for c in world.consents.values() if c.bank_id == "nordbank"]
    real_clock = platform.clock
    platform.clock = lambda: real_clock() + service.LINK_TTL + timedelta(minutes=1)
    assert await flows.purge_abandoned_links(platform) == 1
    assert await _count(platform, LinkAttempt) == 0
    assert consent.status is ConsentStatus.TERMINATED_BY_TPP


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"bankId": "nordbank", "scopes": ["transactions"], "days": 181}, 422, "VALIDATION_FAILED"),
        ({"bankId": "nordbank", "scopes": []}, 422, "VALIDATION_FAILED"),
        ({"bankId": "nordbank", "scopes": ["advertising"]}, 422, "VALIDATION_FAILED"),
        (
            {"bankId": "nordbank", "scopes": ["balances"], "purposes": ["advertising"]},
            422,
            "VALIDATION_FAILED",
        ),
        ({"bankId": "nobank", "scopes": ["balances"]}, 404, "UNKNOWN_BANK"),
        ({"bankId": "nordbank", "scopes": ["balances"], "extra": 1}, 422, "VALIDATION_FAILED"),
    ],
)
async def test_invalid_link_requests_are_refused_and_change_nothing(
    platform_app: FastAPI,
    platform: Platform,
    world: World,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    person = await sign_up(platform_app)
    response = await person.api.post("/api/v1/connections", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert await _count(platform, LinkAttempt) == 0
    assert world.consents == {}


async def test_linking_needs_the_csrf_token(platform_app: FastAPI, platform: Platform) -> None:
    person = await sign_up(platform_app)
    del person.api.headers["X-CSRF-Token"]
    response = await person.api.post(
        "/api/v1/connections", json={"bankId": "nordbank", "scopes": ["balances"]}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "CSRF_FAILED"
    assert await _count(platform, LinkAttempt) == 0


async def test_balances_only_link_denies_transaction_reads(platform_app: FastAPI) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank", scopes=("balances",))
    accounts = (await person.api.get("/api/v1/accounts")).json()
    assert accounts
    assert all(a["balances"] for a in accounts)
    response = await person.api.get("/api/v1/transactions")
    assert response.status_code == 403
    assert response.json()["code"] == "ACCESS_DENIED"
    log = (await person.api.get("/api/v1/privacy/access-log")).json()["entries"]
    assert log[0]["action"] == "read_denied"


async def test_consent_ended_at_the_bank_before_coming_back_fails_cleanly(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person = await sign_up(platform_app)
    sca_url = await start_link(person, "nordbank")
    location = await at_bank(sca_url, "nordbank1", "pass-nordbank-1", "approve")
    [consent] = world.consents.values()
    consent.status = ConsentStatus.REVOKED_BY_PSU
    back = await come_back(person, location)
    assert back.status_code == 303
    target = httpx.URL(back.headers["location"])
    assert (target.params["link"], target.params["reason"]) == ("failed", "CONSENT_NOT_VALID")
    assert await _count(platform, Connection) == 0
    assert await _count(platform, LinkAttempt) == 0
    assert (await come_back(person, location)).status_code == 404


async def test_transactions_only_link_lists_accounts_without_balances(
    platform_app: FastAPI,
) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank", scopes=("transactions",))
    response = await person.api.get("/api/v1/accounts")
    assert response.status_code == 200, response.text
    assert response.json()
    assert all(a["balances"] == [] for a in response.json())
    log = (await person.api.get("/api/v1/privacy/access-log")).json()["entries"]
    assert "read_denied" not in {e["action"] for e in log}
