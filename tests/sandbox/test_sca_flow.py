"""The bank's SCA pages over real HTTP: log in, approve or deny consents and payments,
and come back to the TPP."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from bankchat.sandbox.form_tokens import FormTokens
from bankchat.sandbox.i18n import choose_language
from bankchat.sandbox.model import ConsentStatus, PaymentStatus, ScaStatus
from bankchat.sandbox.world import World
from tests.sandbox.consent_flow import (
    NOK_REDIRECT,
    PSU_IP,
    REDIRECT,
    approved_consent,
    create_consent,
    decide,
    explicit_access,
    form_token,
    headers,
    iban,
    log_in,
)

BANK_OFFERED: dict[str, Any] = {"accounts": [], "balances": [], "transactions": []}


async def sca_url(client: httpx.AsyncClient, world: World, **kwargs: object) -> tuple[str, str]:
    access = kwargs.pop("access", None) or explicit_access(world, "nordbank-c1-chk")
    created = await create_consent(client, access, **kwargs)  # type: ignore[arg-type]
    return created["consentId"], created["_links"]["scaRedirect"]["href"]


async def test_approval_redirects_to_the_tpp_and_makes_the_consent_valid(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    response = await decide(client, url, page, "approve")
    assert response.status_code == 303
    assert response.headers["location"] == REDIRECT
    status = await client.get(f"/banks/nordbank/v1/consents/{consent_id}/status", headers=headers())
    assert status.json() == {"consentStatus": "valid"}


async def test_approval_finalises_sca_and_binds_the_customer(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    consent = world.consents[consent_id]
    assert consent.sca_status is ScaStatus.FINALISED
    assert consent.customer_id == "nordbank-c1"
    assert consent.transaction_account_ids == {"nordbank-c1-chk"}


async def test_denial_redirects_to_the_nok_uri_and_rejects(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    response = await decide(client, url, page, "deny")
    assert response.headers["location"] == NOK_REDIRECT
    assert world.consents[consent_id].status is ConsentStatus.REJECTED
    assert world.consents[consent_id].sca_status is ScaStatus.FAILED


async def test_denial_without_nok_uri_goes_to_the_redirect_uri(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/banks/nordbank/v1/consents",
        json={
            "access": explicit_access(world, "nordbank-c1-chk"),
            "recurringIndicator": False,
            "validUntil": "2026-12-01",
            "frequencyPerDay": 1,
            "combinedServiceIndicator": False,
        },
        headers=headers(**{"TPP-Redirect-URI": REDIRECT}),
    )
    url = response.json()["_links"]["scaRedirect"]["href"]
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    denied = await decide(client, url, page, "deny")
    assert denied.headers["location"] == REDIRECT


async def test_wrong_password_shows_an_error_that_does_not_say_which_field(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    wrong_password = await log_in(client, url, "nordbank1", "nope")
    wrong_login = await log_in(client, url, "nobody", "pass-nordbank-1")
    assert "Login failed. Please check what you entered." in wrong_password.text
    assert wrong_password.text.replace(form_token(wrong_password.text), "") == (
        wrong_login.text.replace(form_token(wrong_login.text), "")
    )
    assert world.consents[consent_id].status is ConsentStatus.RECEIVED


async def test_customer_who_does_not_own_the_accounts_is_told_so(
    client: httpx.AsyncClient, world: World
) -> None:
    _, url = await sca_url(client, world)
    english = await log_in(client, url, "nordbank2", "pass-nordbank-2")
    german = await log_in(client, url, "nordbank2", "pass-nordbank-2", lang="de")
    assert english.status_code == 403
    assert "accounts that are not yours" in english.text
    assert "Konten, die nicht Ihnen gehören" in german.text


async def test_customer_who_does_not_own_the_accounts_leaves_the_consent_waiting(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    await log_in(client, url, "nordbank2", "pass-nordbank-2")
    consent = world.consents[consent_id]
    assert (consent.status, consent.sca_status) == (ConsentStatus.RECEIVED, ScaStatus.RECEIVED)
    assert consent.customer_id is None


async def test_owner_can_approve_after_another_customer_tried(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    await log_in(client, url, "nordbank2", "pass-nordbank-2")
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    await decide(client, url, page, "approve")
    assert world.consents[consent_id].status is ConsentStatus.VALID
    assert world.consents[consent_id].customer_id == "nordbank-c1"


async def test_denial_does_not_bind_the_consent_to_the_customer(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    await decide(client, url, page, "deny")
    assert world.consents[consent_id].customer_id is None


async def test_consent_page_says_which_app_wants_which_data_until_when(
    client: httpx.AsyncClient, world: World
) -> None:
    _, url = await sca_url(client, world, validUntil="2026-12-24", brand="Budget App")
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    for text in ("Budget App asks to see", "balances", "transactions", "December 24, 2026"):
        assert text in page.text
    assert "at most 4 times a day" in page.text
    assert iban(world, "nordbank-c1-chk") in page.text


async def test_consent_page_in_german(client: httpx.AsyncClient, world: World) -> None:
    _, url = await sca_url(client, world, validUntil="2026-12-24")
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1", lang="de")
    assert "bittet um Zugriff" in page.text
    assert "24. Dezember 2026" in page.text
    assert '<html lang="de">' in page.text


async def test_login_page_follows_accept_language_and_offers_a_switch(
    client: httpx.AsyncClient, world: World
) -> None:
    _, url = await sca_url(client, world)
    english = await client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    german = await client.get(url)  # nordbank's own language
    assert "Login name" in english.text
    assert f'href="{httpx.URL(url).path}?lang=de"' in english.text
    assert "Anmeldename" in german.text


async def test_approved_consent_cannot_be_approved_again(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    await decide(client, url, page, "approve")
    again = await decide(client, url, page, "deny")
    assert again.status_code == 409
    assert world.consents[consent_id].status is ConsentStatus.VALID


async def test_forged_decision_token_is_refused(client: httpx.AsyncClient, world: World) -> None:
    consent_id, url = await sca_url(client, world)
    response = await client.post(
        f"{url}/decision", data={"token": "forged.0000", "decision": "approve"}
    )
    assert response.status_code == 400
    assert world.consents[consent_id].status is ConsentStatus.RECEIVED


async def test_login_token_cannot_be_used_for_the_decision(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world)
    login_page = await client.get(url)
    response = await client.post(
        f"{url}/decision", data={"token": form_token(login_page.text), "decision": "approve"}
    )
    assert response.status_code == 400
    assert world.consents[consent_id].status is ConsentStatus.RECEIVED


async def test_bank_offered_consent_covers_the_accounts_the_customer_ticks(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(
        client, BANK_OFFERED, accounts=["nordbank-c1-chk", "nordbank-c1-card"]
    )
    consent = world.consents[consent_id]
    assert consent.account_ids == {"nordbank-c1-chk", "nordbank-c1-card"}
    assert consent.balance_account_ids == consent.account_ids


async def test_bank_offered_consent_offers_all_the_customers_accounts(
    client: httpx.AsyncClient, world: World
) -> None:
    _, url = await sca_url(client, world, access=BANK_OFFERED)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    for account_id in ("nordbank-c1-chk", "nordbank-c1-sav", "nordbank-c1-card"):
        assert f'value="{account_id}" checked' in page.text


async def test_approval_without_any_account_asks_again(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, url = await sca_url(client, world, access=BANK_OFFERED)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    response = await decide(client, url, page, "approve", accounts=[])
    assert "Please select at least one account." in response.text
    assert world.consents[consent_id].status is ConsentStatus.RECEIVED


async def test_new_recurring_consent_expires_the_former_one_of_the_same_redirect_origin(
    client: httpx.AsyncClient, world: World
) -> None:
    former = await approved_consent(client, explicit_access(world, "nordbank-c1-chk"))
    await approved_consent(
        client,
        explicit_access(world, "nordbank-c1-sav"),
        redirect="https://TPP.example:443/other-path",
    )
    assert world.consents[former].status is ConsentStatus.EXPIRED


async def test_recurring_consents_of_other_redirect_origins_stay_valid(
    client: httpx.AsyncClient, world: World
) -> None:
    # Same brand on purpose: the header is free text and must not decide.
    other_host = await approved_consent(
        client, explicit_access(world, "nordbank-c1-chk"), redirect="https://other.example/cb"
    )
    other_port = await approved_consent(
        client, explicit_access(world, "nordbank-c1-chk"), redirect="https://tpp.example:8443/cb"
    )
    await approved_consent(client, explicit_access(world, "nordbank-c1-sav"))
    assert world.consents[other_host].status is ConsentStatus.VALID
    assert world.consents[other_port].status is ConsentStatus.VALID


async def test_decision_token_cannot_be_used_twice(client: httpx.AsyncClient, world: World) -> None:
    consent_id, url = await sca_url(client, world, access=BANK_OFFERED)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    await decide(client, url, page, "approve", accounts=[])
    replayed = await decide(client, url, page, "approve", accounts=["nordbank-c1-chk"])
    assert replayed.status_code == 400
    assert world.consents[consent_id].status is ConsentStatus.RECEIVED


async def test_unknown_authorisation_shows_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id, _ = await sca_url(client, world)
    response = await client.get(f"/banks/nordbank/sca/consents/{consent_id}/wrong")
    assert response.status_code == 404


# -- payments -------------------------------------------------------------------------


async def payment_sca_url(
    client: httpx.AsyncClient, world: World, amount: str = "25.00"
) -> tuple[str, str]:
    response = await client.post(
        "/banks/nordbank/v1/payments/sepa-credit-transfers",
        json={
            "debtorAccount": {"iban": iban(world, "nordbank-c1-chk")},
            "instructedAmount": {"currency": "EUR", "amount": amount},
            "creditorAccount": {"iban": iban(world, "nordbank-c2-chk")},
            "creditorName": "Test Person2",
            "remittanceInformationUnstructured": "Pizza",
        },
        headers={
            "X-Request-ID": str(uuid.uuid4()),
            "PSU-IP-Address": PSU_IP,
            "TPP-Redirect-URI": REDIRECT,
            "TPP-Nok-Redirect-URI": NOK_REDIRECT,
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    return created["paymentId"], created["_links"]["scaRedirect"]["href"]


async def test_payment_page_shows_the_order_formatted_per_locale(
    client: httpx.AsyncClient, world: World
) -> None:
    _, url = await payment_sca_url(client, world, amount="1234.50")
    german = await log_in(client, url, "nordbank1", "pass-nordbank-1", lang="de")
    _, url = await payment_sca_url(client, world, amount="1234.50")
    english = await log_in(client, url, "nordbank1", "pass-nordbank-1", lang="en")
    assert "1.234,50\xa0€" in german.text
    assert "€1,234.50" in english.text
    for text in ("Test Person2", iban(world, "nordbank-c2-chk"), "Pizza"):
        assert text in english.text


async def test_approved_payment_is_accepted_and_redirects(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id, url = await payment_sca_url(client, world)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    response = await decide(client, url, page, "approve")
    assert response.headers["location"] == REDIRECT
    assert world.payments[payment_id].status is not PaymentStatus.RJCT
    assert world.payments[payment_id].sca_status is ScaStatus.FINALISED


async def test_denied_payment_is_rejected_and_redirects_to_nok(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id, url = await payment_sca_url(client, world)
    page = await log_in(client, url, "nordbank1", "pass-nordbank-1")
    response = await decide(client, url, page, "deny")
    assert response.headers["location"] == NOK_REDIRECT
    assert world.payments[payment_id].status is PaymentStatus.RJCT


async def test_payment_of_another_customer_is_refused_with_a_page_saying_so(
    client: httpx.AsyncClient, world: World
) -> None:
    _, url = await payment_sca_url(client, world)
    english = await log_in(client, url, "nordbank2", "pass-nordbank-2")
    german = await log_in(client, url, "nordbank2", "pass-nordbank-2", lang="de")
    assert english.status_code == 403
    assert "from an account that is not yours" in english.text
    assert "Konto ausgeführt werden, das nicht Ihnen gehört" in german.text


async def test_payment_of_another_customer_still_waits_for_its_owner(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id, url = await payment_sca_url(client, world)
    await log_in(client, url, "nordbank2", "pass-nordbank-2")
    payment = world.payments[payment_id]
    assert (payment.status, payment.sca_status) == (PaymentStatus.RCVD, ScaStatus.RECEIVED)


# -- building blocks ------------------------------------------------------------------

_NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=30))
def test_form_token_verifies_only_for_its_purpose_and_subject(
    purpose: str, subject: str, other: str
) -> None:
    tokens = FormTokens(b"k" * 32, lambda: _NOW)
    token = tokens.issue(purpose.replace("\n", ""), subject.replace("\n", ""), "c1")
    assert tokens.verify(token, purpose.replace("\n", ""), subject.replace("\n", "")) == "c1"
    if other != subject.replace("\n", ""):
        assert tokens.verify(token, purpose.replace("\n", ""), other) is None


@given(st.integers(min_value=0, max_value=200), st.characters())
def test_tampered_form_token_is_refused(position: int, replacement: str) -> None:
    tokens = FormTokens(b"k" * 32, lambda: _NOW)
    token = tokens.issue("consent-login", "abc")
    index = position % len(token)
    tampered = token[:index] + replacement + token[index + 1 :]
    if tampered != token:
        assert tokens.verify(tampered, "consent-login", "abc") is None


def test_form_token_spelled_with_other_base64_slack_bits_is_refused() -> None:
    tokens = FormTokens(b"k" * 32, lambda: _NOW)
    token = tokens.issue("consent-login", "abc")
    encoded, signature = token.split(".")
    payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respellings = [
        f"{encoded[:-1]}{char}"
        for char in alphabet
        if char != encoded[-1]
        and base64.urlsafe_b64decode(f"{encoded[:-1]}{char}" + "=" * (-len(encoded) % 4)) == payload
    ]
    assert respellings
    assert [tokens.verify(f"{r}.{signature}", "consent-login", "abc") for r in respellings] == [
        None
    ] * len(respellings)


def test_consumed_form_token_is_refused() -> None:
    tokens = FormTokens(b"k" * 32, lambda: _NOW)
    token = tokens.issue("banking", "nordbank", "c1")
    assert tokens.consume(token, "banking", "nordbank") == "c1"
    assert tokens.verify(token, "banking", "nordbank") is None
    assert tokens.consume(token, "banking", "nordbank") is None


def test_consumed_token_ids_are_forgotten_once_expired() -> None:
    now = [_NOW]
    tokens = FormTokens(b"k" * 32, lambda: now[0], max_remembered=1)
    tokens.consume(tokens.issue("banking", "nordbank", "c1"), "banking", "nordbank")
    now[0] = _NOW + timedelta(minutes=11)
    assert tokens.consume(tokens.issue("banking", "nordbank", "c1"), "banking", "nordbank")


def test_consuming_beyond_the_memory_bound_is_refused() -> None:
    tokens = FormTokens(b"k" * 32, lambda: _NOW, max_remembered=1)
    tokens.consume(tokens.issue("banking", "nordbank", "c1"), "banking", "nordbank")
    second = tokens.issue("banking", "nordbank", "c1")
    assert tokens.consume(second, "banking", "nordbank") is None


def test_form_token_expires() -> None:
    now = [_NOW]
    tokens = FormTokens(b"k" * 32, lambda: now[0])
    token = tokens.issue("consent-login", "abc")
    now[0] = _NOW + timedelta(minutes=11)
    assert tokens.verify(token, "consent-login", "abc") is None


@given(st.one_of(st.none(), st.text(max_size=10)), st.one_of(st.none(), st.text(max_size=60)))
def test_chosen_language_is_always_german_or_english(
    query: str | None, accept_language: str | None
) -> None:
    assert choose_language(query, accept_language, "de") in ("de", "en")


def test_query_language_wins_over_accept_language() -> None:
    assert choose_language("en", "de-DE,de;q=0.9", "de") == "en"
