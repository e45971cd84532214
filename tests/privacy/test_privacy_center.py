"""The privacy center API: what is shared, who read it and why, export, revoke, erase."""

from __future__ import annotations

import json

from fastapi import FastAPI
from sqlalchemy import func, select, text

from bankchat.banking.models import Connection
from bankchat.platform import Platform
from bankchat.sandbox.model import ConsentStatus
from bankchat.sandbox.world import World
from tests.platform_support import link, sign_up


async def test_connections_show_scopes_purposes_expiry_and_accounts(
    platform_app: FastAPI, world: World
) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank", days=30, purposes=["user_request", "fraud_protection"])
    [connection] = (await person.api.get("/api/v1/privacy/connections")).json()
    assert connection["bankName"] == "Nordbank Test"
    assert connection["scopes"] == ["balances", "transactions"]
    assert connection["purposes"] == ["fraud_protection", "user_request"]
    assert connection["daysLeft"] == 30
    assert {a["kind"] for a in connection["accounts"]} == {"checking", "savings", "credit_card"}
    assert world.accounts["nordbank-c1-chk"].iban in {a["iban"] for a in connection["accounts"]}


async def test_access_log_tells_in_plain_words_who_read_what_and_why(
    platform_app: FastAPI,
) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    await person.api.get("/api/v1/transactions")
    english = (await person.api.get("/api/v1/privacy/access-log", params={"lang": "en"})).json()
    latest = english["entries"][0]
    assert latest["action"] == "read"
    assert latest["purpose"] == "user_request"
    assert latest["text"] == "You read your transactions at Nordbank Test to answer your request."
    german = (await person.api.get("/api/v1/privacy/access-log", params={"lang": "de"})).json()
    assert german["entries"][0]["text"].startswith("Du hast deine Umsätze bei Nordbank Test")
    actions = {e["action"] for e in english["entries"]}
    assert {"link", "sync", "read"} <= actions


async def test_export_holds_everything_as_json(platform_app: FastAPI, world: World) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    response = await person.api.get("/api/v1/privacy/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    document = json.loads(response.text)
    assert document["person"]["email"] == person.email
    assert len(document["connections"]) == 1
    remittances = json.dumps(document["bankData"])
    assert "Employer GmbH" in remittances
    assert '"-12.50"' in remittances
    assert document["accessLog"]


async def test_revoking_a_connection_stops_reads_and_deletes_the_consent_at_the_bank(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank")
    account_ids = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()[
        "accountIds"
    ]
    response = await person.api.delete(f"/api/v1/connections/{connection_id}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "terminatedByTpp"
    assert response.json()["revokedBy"] == "person"
    assert [c.status for c in world.consents.values()] == [ConsentStatus.TERMINATED_BY_TPP]
    denied = await person.api.get("/api/v1/transactions", params={"accountId": account_ids[0]})
    assert denied.status_code == 403
    async with platform.sessions() as session:
        connection = await session.get(Connection, connection_id)
        assert connection is not None
        assert connection.external_consent_id is None
        assert connection.accounts == []
    again = await person.api.delete(f"/api/v1/connections/{connection_id}")
    assert again.status_code == 409


async def test_erasing_everything_shreds_the_data_and_keeps_the_chain_verifiable(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    wrong = await person.api.post("/api/v1/privacy/erase", json={"confirmEmail": "x@example.org"})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "CONFIRMATION_MISMATCH"
    response = await person.api.post("/api/v1/privacy/erase", json={"confirmEmail": person.email})
    assert response.status_code == 204, response.text
    assert [c.status for c in world.consents.values()] == [ConsentStatus.TERMINATED_BY_TPP]
    async with platform.sessions() as session:
        for table in ("people", "bank_connections", "vault_data_keys", "vault_transactions"):
            count = (
                await session.execute(select(func.count()).select_from(text(table)))
            ).scalar_one()
            assert count == 0, table
    assert (await platform.vault.verify_chain()).ok
    assert (await person.api.get("/api/v1/connections")).status_code == 401
