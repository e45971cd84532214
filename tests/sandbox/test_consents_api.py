"""The NextGenPSD2 consent resource over real HTTP: creation, checks, status and deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bankchat.sandbox.model import ConsentStatus
from bankchat.sandbox.world import World
from tests.conftest import LiveSandbox
from tests.sandbox.consent_flow import (
    REDIRECT,
    TODAY,
    approved_consent,
    consent_body,
    create_consent,
    error_code,
    explicit_access,
    headers,
    iban,
    read_headers,
)

CONSENTS = "/banks/nordbank/v1/consents"


def tpp_headers(**extra: str) -> dict[str, str]:
    return headers(**{"TPP-Redirect-URI": REDIRECT, **extra})


async def post_consent(
    client: httpx.AsyncClient, body: Any, request_headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(CONSENTS, json=body, headers=request_headers or tpp_headers())


async def test_created_consent_is_received_with_redirect_links(
    client: httpx.AsyncClient, world: World, sandbox: LiveSandbox
) -> None:
    response = await post_consent(client, consent_body(explicit_access(world, "nordbank-c1-chk")))
    body = response.json()
    consent = world.consents[body["consentId"]]
    assert response.status_code == 201
    assert body["consentStatus"] == "received"
    assert body["_links"]["scaRedirect"]["href"] == (
        f"{sandbox.url}/banks/nordbank/sca/consents/{consent.id}/{consent.authorisation_id}"
    )
    assert body["_links"]["status"]["href"] == f"{CONSENTS}/{consent.id}/status"
    assert response.headers["ASPSP-SCA-Approach"] == "REDIRECT"
    assert response.headers["Location"].endswith(f"{CONSENTS}/{consent.id}")


async def test_brand_header_names_the_app(client: httpx.AsyncClient, world: World) -> None:
    created = await create_consent(client, explicit_access(world, "nordbank-c1-chk"), brand="Zap")
    assert world.consents[created["consentId"]].tpp_name == "Zap"


async def test_consent_without_request_id_is_refused(sandbox: LiveSandbox, world: World) -> None:
    request_headers = tpp_headers()
    del request_headers["X-Request-ID"]
    # Without a request id the answer cannot carry the one the spec requires: no conformance
    # hook here.
    async with httpx.AsyncClient(base_url=sandbox.url) as plain:
        response = await post_consent(
            plain, consent_body(explicit_access(world, "nordbank-c1-chk")), request_headers
        )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert not world.consents


async def test_consent_without_redirect_uri_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await post_consent(
        client, consent_body(explicit_access(world, "nordbank-c1-chk")), headers()
    )
    assert response.status_code == 400
    assert "TPP-Redirect-URI" in response.text
    assert not world.consents


async def test_consent_without_psu_ip_address_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    request_headers = tpp_headers()
    del request_headers["PSU-IP-Address"]
    response = await post_consent(
        client, consent_body(explicit_access(world, "nordbank-c1-chk")), request_headers
    )
    assert response.status_code == 400
    assert "PSU-IP-Address" in response.text


async def test_malformed_json_is_a_format_error(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        CONSENTS,
        content=b'{"access": {',
        headers={**tpp_headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert not world.consents


@pytest.mark.parametrize(
    "change",
    [
        {"recurringIndicator": "yes"},
        {"frequencyPerDay": 0},
        {"validUntil": "2026-13-01"},
        {"access": {}},
        {"access": {"accounts": [{"iban": "DE1"}], "balances": []}},
        {"access": {"accounts": [{}]}},
        {"access": {"allPsd2": "everything"}},
        {"access": {"allPsd2": "allAccounts", "availableAccounts": "allAccounts"}},
    ],
)
async def test_invalid_consent_request_is_refused(
    client: httpx.AsyncClient, world: World, change: dict[str, Any]
) -> None:
    body = {**consent_body(explicit_access(world, "nordbank-c1-chk")), **change}
    response = await post_consent(client, body)
    assert response.status_code == 400
    assert not world.consents


async def test_account_of_another_bank_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await post_consent(client, consent_body(explicit_access(world, "suedbank-c1-chk")))
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert not world.consents


async def test_unknown_iban_is_refused(client: httpx.AsyncClient, world: World) -> None:
    access = {"accounts": [{"iban": "DE02120300000000202051"}]}
    response = await post_consent(client, consent_body(access))
    assert response.status_code == 400


async def test_valid_until_in_the_past_is_refused(client: httpx.AsyncClient, world: World) -> None:
    body = consent_body(
        explicit_access(world, "nordbank-c1-chk"),
        validUntil=(TODAY - timedelta(days=1)).isoformat(),
    )
    response = await post_consent(client, body)
    assert response.status_code == 400
    assert not world.consents


async def test_valid_until_is_capped_at_180_days(client: httpx.AsyncClient, world: World) -> None:
    created = await create_consent(
        client, explicit_access(world, "nordbank-c1-chk"), validUntil="9999-12-31"
    )
    read = await client.get(f"{CONSENTS}/{created['consentId']}", headers=headers())
    assert read.json()["validUntil"] == (TODAY + timedelta(days=180)).isoformat()


async def test_one_off_consent_allows_one_access_a_day(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(
        client, explicit_access(world, "nordbank-c1-chk"), recurringIndicator=False
    )
    read = await client.get(f"{CONSENTS}/{consent_id}", headers=headers())
    url = "/banks/nordbank/v1/accounts/nordbank-c1-chk/balances"
    first = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    second = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    assert read.json()["frequencyPerDay"] == 1
    assert first.status_code == 200
    assert second.status_code == 429


async def test_consent_information_echoes_the_request(
    client: httpx.AsyncClient, world: World
) -> None:
    access = explicit_access(world, "nordbank-c1-chk")
    created = await create_consent(client, access)
    read = await client.get(f"{CONSENTS}/{created['consentId']}", headers=headers())
    body = read.json()
    assert body["access"] == access
    assert body["recurringIndicator"] is True
    assert body["consentStatus"] == "received"
    assert body["lastActionDate"] == TODAY.isoformat()


async def test_bank_offered_consent_shows_the_selected_accounts_once_approved(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(
        client, {"accounts": [], "balances": []}, accounts=["nordbank-c1-chk"]
    )
    read = await client.get(f"{CONSENTS}/{consent_id}", headers=headers())
    reference = {"iban": iban(world, "nordbank-c1-chk")}
    assert read.json()["access"] == {"accounts": [reference], "balances": [reference]}


async def test_explicit_consent_shows_only_the_accounts_the_customer_ticked(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(
        client,
        explicit_access(world, "nordbank-c1-chk", "nordbank-c1-sav"),
        accounts=["nordbank-c1-chk"],
    )
    read = await client.get(f"{CONSENTS}/{consent_id}", headers=headers())
    assert read.json()["access"] == explicit_access(world, "nordbank-c1-chk")


@pytest.mark.parametrize(
    ("global_key", "list_key"),
    [
        ("availableAccounts", "balances"),
        ("availableAccounts", "transactions"),
        ("availableAccountsWithBalance", "accounts"),
        ("allPsd2", "accounts"),
    ],
)
async def test_global_access_next_to_an_empty_account_list_is_refused(
    client: httpx.AsyncClient, world: World, global_key: str, list_key: str
) -> None:
    access = {global_key: "allAccounts", list_key: []}
    response = await post_consent(client, consent_body(access))
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert not world.consents


async def test_unknown_consent_is_consent_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{CONSENTS}/nope/status", headers=headers())
    assert response.status_code == 403
    assert error_code(response) == "CONSENT_UNKNOWN"


async def test_consent_of_another_bank_is_unknown_here(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await create_consent(
        client, explicit_access(world, "suedbank-c1-chk"), bank="suedbank"
    )
    response = await client.get(f"{CONSENTS}/{created['consentId']}", headers=headers())
    assert response.status_code == 403


async def test_unknown_bank_is_not_found(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/banks/nobank/v1/consents",
        json=consent_body(explicit_access(world, "nordbank-c1-chk")),
        headers=tpp_headers(),
    )
    assert response.status_code == 404
    assert error_code(response) == "RESOURCE_UNKNOWN"


async def test_delete_terminates_the_consent(client: httpx.AsyncClient, world: World) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    deleted = await client.delete(f"{CONSENTS}/{consent_id}", headers=headers())
    status = await client.get(f"{CONSENTS}/{consent_id}/status", headers=headers())
    assert deleted.status_code == 204
    assert status.json()["consentStatus"] == "terminatedByTpp"


async def test_delete_keeps_the_status_of_a_consent_that_already_ended(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    world.consents[consent_id].status = ConsentStatus.REVOKED_BY_PSU
    await client.delete(f"{CONSENTS}/{consent_id}", headers=headers())
    assert world.consents[consent_id].status is ConsentStatus.REVOKED_BY_PSU


async def test_consent_past_valid_until_reports_expired(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(
        client, explicit_access(world, "nordbank-c1-chk"), validUntil="2026-11-30"
    )
    world.clock = lambda: datetime(2026, 12, 1, 9, tzinfo=UTC)
    status = await client.get(f"{CONSENTS}/{consent_id}/status", headers=headers())
    assert status.json()["consentStatus"] == "expired"


async def test_authorisation_resources_report_the_sca_status(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await create_consent(client, explicit_access(world, "nordbank-c1-chk"))
    consent_id = created["consentId"]
    listing = await client.get(f"{CONSENTS}/{consent_id}/authorisations", headers=headers())
    [authorisation_id] = listing.json()["authorisationIds"]
    sca = await client.get(
        f"{CONSENTS}/{consent_id}/authorisations/{authorisation_id}", headers=headers()
    )
    assert sca.json() == {"scaStatus": "received"}


async def test_starting_an_authorisation_again_returns_the_redirect(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await create_consent(client, explicit_access(world, "nordbank-c1-chk"))
    response = await client.post(
        f"{CONSENTS}/{created['consentId']}/authorisations",
        headers=headers(**{"TPP-Redirect-URI": REDIRECT}),
    )
    assert response.status_code == 201
    assert response.json()["_links"]["scaRedirect"] == created["_links"]["scaRedirect"]


async def test_starting_an_authorisation_of_a_valid_consent_is_a_conflict(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    response = await client.post(f"{CONSENTS}/{consent_id}/authorisations", headers=headers())
    assert response.status_code == 409
    assert error_code(response) == "STATUS_INVALID"


async def test_psu_ip_address_must_be_an_ip_address(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await post_consent(
        client,
        consent_body(explicit_access(world, "nordbank-c1-chk")),
        tpp_headers(**{"PSU-IP-Address": "not-an-ip"}),
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
