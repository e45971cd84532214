"""Online banking over real HTTP: the customer sees the consents they gave and revokes one,
which the TPP then sees."""

from __future__ import annotations

import httpx

from bankchat.sandbox.model import ConsentStatus
from bankchat.sandbox.world import World
from tests.sandbox.consent_flow import (
    approved_consent,
    error_code,
    explicit_access,
    form_token,
    headers,
    read_headers,
)

BANKING = "/banks/nordbank/online-banking"


async def log_in(
    client: httpx.AsyncClient, customer: int = 1, *, password: str | None = None, lang: str = "en"
) -> httpx.Response:
    """Log in as ``nordbank-c<customer>``, with their password unless one is given."""
    page = await client.get(BANKING, params={"lang": lang})
    return await client.post(
        BANKING,
        params={"lang": lang},
        data={
            "token": form_token(page.text),
            "login": f"nordbank{customer}",
            "password": password or f"pass-nordbank-{customer}",
        },
    )


async def revoke(
    client: httpx.AsyncClient, listing: httpx.Response, consent_id: str
) -> httpx.Response:
    return await client.post(
        f"{BANKING}/revoke",
        params={"lang": "en"},
        data={"token": form_token(listing.text), "consent_id": consent_id},
    )


async def test_login_lists_the_consents_the_customer_gave(
    client: httpx.AsyncClient, world: World
) -> None:
    await approved_consent(client, explicit_access(world, "nordbank-c1-chk"), brand="Budget App")
    listing = await log_in(client)
    assert listing.status_code == 200
    for text in ("Budget App", "Main account", "valid", "February 18, 2027", "Revoke"):
        assert text in listing.text


async def test_consent_list_in_german(client: httpx.AsyncClient, world: World) -> None:
    await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    listing = await log_in(client, lang="de")
    for text in ("Ihre Freigaben", "gültig", "18. Februar 2027", "Widerrufen"):
        assert text in listing.text


async def test_other_customers_consents_are_not_listed(
    client: httpx.AsyncClient, world: World
) -> None:
    await approved_consent(client, explicit_access(world, "nordbank-c1-chk"), brand="Budget App")
    listing = await log_in(client, 2)
    assert "Budget App" not in listing.text
    assert "You have not given any app access yet." in listing.text


async def test_wrong_password_is_refused(client: httpx.AsyncClient) -> None:
    response = await log_in(client, password="wrong")
    assert response.status_code == 401
    assert "Login failed" in response.text


async def test_revoked_consent_reports_revoked_by_psu(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    response = await revoke(client, await log_in(client), consent_id)
    status = await client.get(f"/banks/nordbank/v1/consents/{consent_id}/status", headers=headers())
    assert "The access of Budget App has been revoked." in response.text
    assert status.json()["consentStatus"] == "revokedByPsu"


async def test_reads_with_a_revoked_consent_are_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    await revoke(client, await log_in(client), consent_id)
    response = await client.get("/banks/nordbank/v1/accounts", headers=read_headers(consent_id))
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


async def test_customer_cannot_revoke_anothers_consent(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    # The second customer needs a consent of their own to get a revoke form at all.
    await approved_consent(client, explicit_access(world, "nordbank-c2-chk"), customer=2)
    await revoke(client, await log_in(client, 2), consent_id)
    assert world.consents[consent_id].status is ConsentStatus.VALID


async def test_revoke_without_a_signed_in_token_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    login_page = await client.get(BANKING)
    response = await client.post(
        f"{BANKING}/revoke",
        data={"token": form_token(login_page.text), "consent_id": consent_id},
    )
    assert response.status_code == 400
    assert world.consents[consent_id].status is ConsentStatus.VALID


async def test_only_valid_consents_offer_revocation(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    listing = await revoke(client, await log_in(client), consent_id)
    assert 'name="consent_id"' not in listing.text
    assert "revoked by you" in listing.text


async def test_revoke_token_cannot_be_used_twice(client: httpx.AsyncClient, world: World) -> None:
    first = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    second = await approved_consent(
        client, explicit_access(world, "nordbank-c1-sav"), redirect="https://other.example/cb"
    )
    listing = await log_in(client)
    await revoke(client, listing, first)
    replayed = await revoke(client, listing, second)
    assert replayed.status_code == 400
    assert world.consents[second].status is ConsentStatus.VALID


async def test_logout_says_so(client: httpx.AsyncClient) -> None:
    listing = await log_in(client)
    response = await client.post(
        f"{BANKING}/logout", params={"lang": "en"}, data={"token": form_token(listing.text)}
    )
    assert response.status_code == 200
    assert "You have logged out." in response.text


async def test_token_of_a_logged_out_page_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    listing = await log_in(client)
    await client.post(f"{BANKING}/logout", data={"token": form_token(listing.text)})
    response = await revoke(client, listing, consent_id)
    assert response.status_code == 400
    assert world.consents[consent_id].status is ConsentStatus.VALID
