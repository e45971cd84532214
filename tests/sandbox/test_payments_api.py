"""Payment initiation over real HTTP: every response is checked against the NextGenPSD2 spec
by the ``client`` fixture."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest

from bankchat.sandbox.iban import german_iban
from bankchat.sandbox.model import PaymentStatus
from bankchat.sandbox.payments import (
    authorise_payment,
    fail_payment_authorisation,
    run_clearing,
)
from bankchat.sandbox.world import World
from tests.conftest import LiveSandbox

REDIRECT = "https://tpp.example/done"
SCT = "/banks/nordbank/v1/payments/sepa-credit-transfers"
INSTANT = "/banks/nordbank/v1/payments/instant-sepa-credit-transfers"


def headers(request_id: str | None = None, **extra: str) -> dict[str, str]:
    return {
        "X-Request-ID": request_id or str(uuid.uuid4()),
        "TPP-Redirect-URI": REDIRECT,
        "PSU-IP-Address": "192.0.2.10",
        **extra,
    }


def order(
    world: World,
    creditor: str = "nordbank-c2-chk",
    amount: str = "25.00",
    **extra: object,
) -> dict[str, object]:
    creditor_iban = world.accounts[creditor].iban if creditor in world.accounts else creditor
    return {
        "debtorAccount": {"iban": world.accounts["nordbank-c1-chk"].iban},
        "instructedAmount": {"currency": "EUR", "amount": amount},
        "creditorAccount": {"iban": creditor_iban},
        "creditorName": "Test Person2",
        "remittanceInformationUnstructured": "Pizza",
        **extra,
    }


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["tppMessages"][0]["code"]
    return code


async def initiate(
    client: httpx.AsyncClient, world: World, path: str = SCT, **order_fields: object
) -> str:
    response = await client.post(path, json=order(world, **order_fields), headers=headers())  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    payment_id: str = response.json()["paymentId"]
    return payment_id


# -- initiation ---------------------------------------------------------------------------


async def test_initiation_answers_201_with_received_status(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(SCT, json=order(world), headers=headers())
    assert response.status_code == 201
    body = response.json()
    assert (body["transactionStatus"], body["scaStatus"]) == ("RCVD", "received")
    assert body["paymentId"] in world.payments


async def test_initiation_links_to_the_sca_page_and_the_payment(
    client: httpx.AsyncClient, sandbox: LiveSandbox, world: World
) -> None:
    response = await client.post(SCT, json=order(world), headers=headers())
    payment = world.payments[response.json()["paymentId"]]
    links = response.json()["_links"]
    assert links["scaRedirect"]["href"] == (
        f"{sandbox.bank_url('nordbank')}/sca/payments/{payment.id}/{payment.authorisation_id}"
    )
    assert links["self"]["href"] == f"{SCT}/{payment.id}"
    assert links["status"]["href"] == f"{SCT}/{payment.id}/status"
    assert links["scaStatus"]["href"] == (
        f"{SCT}/{payment.id}/authorisations/{payment.authorisation_id}"
    )


async def test_initiation_headers_name_location_request_and_sca_approach(
    client: httpx.AsyncClient, sandbox: LiveSandbox, world: World
) -> None:
    request_id = str(uuid.uuid4())
    response = await client.post(SCT, json=order(world), headers=headers(request_id))
    payment_id = response.json()["paymentId"]
    assert response.headers["Location"] == f"{sandbox.url}{SCT}/{payment_id}"
    assert response.headers["X-Request-ID"] == request_id
    assert response.headers["ASPSP-SCA-Approach"] == "REDIRECT"


async def test_repeated_request_id_returns_the_same_payment(
    client: httpx.AsyncClient, world: World
) -> None:
    request_id = str(uuid.uuid4())
    first = await client.post(SCT, json=order(world), headers=headers(request_id))
    again = await client.post(SCT, json=order(world), headers=headers(request_id))
    assert again.status_code == 201
    assert again.json()["paymentId"] == first.json()["paymentId"]
    assert len(world.payments) == 1


async def test_repeated_request_id_with_another_body_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    request_id = str(uuid.uuid4())
    await client.post(SCT, json=order(world), headers=headers(request_id))
    response = await client.post(
        SCT, json=order(world, amount="99.00"), headers=headers(request_id)
    )
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert len(world.payments) == 1


@pytest.mark.parametrize(
    ("header", "first", "again"),
    [
        ("TPP-Redirect-URI", REDIRECT, "https://tpp.example/elsewhere"),
        ("TPP-Nok-Redirect-URI", "https://tpp.example/nok", "https://tpp.example/other-nok"),
        ("TPP-Nok-Redirect-URI", "https://tpp.example/nok", None),
    ],
)
async def test_repeated_request_id_with_another_redirect_uri_is_refused(
    client: httpx.AsyncClient, world: World, header: str, first: str, again: str | None
) -> None:
    request_id = str(uuid.uuid4())
    await client.post(SCT, json=order(world), headers=headers(request_id, **{header: first}))
    # headers() has no TPP-Nok-Redirect-URI, so ``again=None`` leaves it out.
    repeat_headers = headers(request_id, **({header: again} if again else {}))
    response = await client.post(SCT, json=order(world), headers=repeat_headers)
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert len(world.payments) == 1


async def test_creditor_iban_with_a_trailing_newline_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    body = order(world)
    body["creditorAccount"] = {"iban": f"{world.accounts['nordbank-c2-chk'].iban}\n"}
    response = await client.post(SCT, json=body, headers=headers())
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert world.payments == {}


@pytest.mark.parametrize(
    "changes",
    [
        {"instructedAmount": {"currency": "EUR", "amount": "-5.00"}},
        {"instructedAmount": {"currency": "EUR", "amount": "5.001"}},
        {"instructedAmount": {"currency": "EUR", "amount": 5}},
        {"instructedAmount": {"currency": "EUR"}},
        {"instructedAmount": {"currency": "eur", "amount": "5.00"}},
        {"creditorName": None},
        {"creditorName": 42},
        {"creditorName": "x" * 71},
        {"creditorAccount": {}},
        {"creditorAccount": {"iban": "DE00123"}},
        {"debtorAccount": None},
        {"debtorAccount": ["DE89370400440532013000"]},
        {"endToEndIdentification": "x" * 36},
        {"remittanceInformationUnstructured": "x" * 141},
    ],
    ids=lambda changes: "-".join(f"{k}={v!r}"[:40] for k, v in changes.items()),
)
async def test_invalid_order_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, world: World, changes: dict[str, object]
) -> None:
    body = {k: v for k, v in {**order(world), **changes}.items() if v is not None}
    response = await client.post(SCT, json=body, headers=headers())
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert world.payments == {}


async def test_body_that_is_not_json_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        SCT,
        content=b'{"debtorAccount": ',
        headers={**headers(), "Content-Type": "application/json"},
    )
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert world.payments == {}


async def test_json_that_is_not_an_object_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(SCT, json=["a", "list"], headers=headers())
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert world.payments == {}


async def test_body_other_than_json_is_unsupported(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        SCT,
        content=b"<Document/>",
        headers={**headers(), "Content-Type": "application/xml"},
    )
    assert response.status_code == 415
    assert world.payments == {}


async def test_initiation_without_redirect_uri_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    request_headers = headers()
    del request_headers["TPP-Redirect-URI"]
    response = await client.post(SCT, json=order(world), headers=request_headers)
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert world.payments == {}


async def test_initiation_with_a_relative_redirect_uri_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        SCT, json=order(world), headers=headers(**{"TPP-Redirect-URI": "/done"})
    )
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")


async def test_initiation_with_a_relative_nok_redirect_uri_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        SCT, json=order(world), headers=headers(**{"TPP-Nok-Redirect-URI": "/failed"})
    )
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert world.payments == {}


async def test_initiation_without_request_id_is_refused(sandbox: LiveSandbox, world: World) -> None:
    # Unchecked client: the spec demands an X-Request-ID on every response, which cannot
    # be echoed when the request had none.
    request_headers = headers()
    del request_headers["X-Request-ID"]
    async with httpx.AsyncClient(base_url=sandbox.url) as unchecked:
        response = await unchecked.post(SCT, json=order(world), headers=request_headers)
    assert (response.status_code, error_code(response)) == (400, "FORMAT_ERROR")
    assert world.payments == {}


async def test_unsupported_product_is_unknown(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/banks/nordbank/v1/payments/target-2-payments", json=order(world), headers=headers()
    )
    assert (response.status_code, error_code(response)) == (404, "PRODUCT_UNKNOWN")
    assert world.payments == {}


async def test_debtor_account_of_another_bank_is_unknown(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/banks/suedbank/v1/payments/sepa-credit-transfers", json=order(world), headers=headers()
    )
    assert (response.status_code, error_code(response)) == (400, "RESOURCE_UNKNOWN")
    assert world.payments == {}


async def test_creditor_in_another_currency_fails(client: httpx.AsyncClient, world: World) -> None:
    body = order(world)
    body["creditorAccount"] = {"bban": world.accounts["lakebank-c1-chk"].bban}
    response = await client.post(SCT, json=body, headers=headers())
    assert (response.status_code, error_code(response)) == (400, "PAYMENT_FAILED")


# -- reading a payment --------------------------------------------------------------------


async def test_payment_echoes_the_order_with_its_status(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world, endToEndIdentification="E2E-1")
    response = await client.get(f"{SCT}/{payment_id}", headers=headers())
    assert response.status_code == 200
    assert response.json() == {
        "debtorAccount": {"iban": world.accounts["nordbank-c1-chk"].iban, "currency": "EUR"},
        "instructedAmount": {"currency": "EUR", "amount": "25.00"},
        "creditorAccount": {"iban": world.accounts["nordbank-c2-chk"].iban},
        "creditorName": "Test Person2",
        "remittanceInformationUnstructured": "Pizza",
        "endToEndIdentification": "E2E-1",
        "transactionStatus": "RCVD",
    }


async def test_new_payment_status_is_received(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    response = await client.get(f"{SCT}/{payment_id}/status", headers=headers())
    assert response.json() == {"transactionStatus": "RCVD"}


async def test_authorised_payment_is_accepted_with_funds(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world)
    authorise_payment(world, payment_id, "nordbank-c1")
    response = await client.get(f"{SCT}/{payment_id}/status", headers=headers())
    assert response.json() == {"transactionStatus": "ACTC", "fundsAvailable": True}


async def test_cleared_payment_is_settled(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    authorise_payment(world, payment_id, "nordbank-c1")
    run_clearing(world)
    response = await client.get(f"{SCT}/{payment_id}/status", headers=headers())
    assert response.json()["transactionStatus"] == "ACSC"


async def test_instant_payment_is_settled_on_authorisation(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world, INSTANT)
    authorise_payment(world, payment_id, "nordbank-c1")
    response = await client.get(f"{INSTANT}/{payment_id}/status", headers=headers())
    assert response.json()["transactionStatus"] == "ACSC"


async def test_payment_without_funds_is_rejected_with_a_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world, amount="9999.00")
    authorise_payment(world, payment_id, "nordbank-c1")
    response = await client.get(f"{SCT}/{payment_id}/status", headers=headers())
    assert response.json()["transactionStatus"] == "RJCT"
    assert "funds" in response.json()["psuMessage"]


async def test_payment_to_another_sandbox_bank_moves_money_on_both_sides(
    client: httpx.AsyncClient, world: World
) -> None:
    debtor_before = world.booked_balance("nordbank-c1-chk")
    creditor_before = world.booked_balance("suedbank-c1-chk")
    payment_id = await initiate(client, world, creditor="suedbank-c1-chk", amount="100.00")
    authorise_payment(world, payment_id, "nordbank-c1")
    run_clearing(world)
    assert world.booked_balance("nordbank-c1-chk") == debtor_before - Decimal("100.00")
    assert world.booked_balance("suedbank-c1-chk") == creditor_before + Decimal("100.00")


async def test_payment_to_an_external_iban_is_settled(
    client: httpx.AsyncClient, world: World
) -> None:
    debtor_before = world.booked_balance("nordbank-c1-chk")
    payment_id = await initiate(client, world, creditor=german_iban("12345678", 99))
    authorise_payment(world, payment_id, "nordbank-c1")
    run_clearing(world)
    assert world.payments[payment_id].status is PaymentStatus.ACSC
    assert world.booked_balance("nordbank-c1-chk") == debtor_before - Decimal("25.00")


async def test_payment_of_another_bank_is_unknown(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    response = await client.get(
        f"/banks/suedbank/v1/payments/sepa-credit-transfers/{payment_id}", headers=headers()
    )
    assert (response.status_code, error_code(response)) == (404, "RESOURCE_UNKNOWN")


async def test_payment_under_another_product_is_unknown(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world)
    response = await client.get(f"{INSTANT}/{payment_id}/status", headers=headers())
    assert (response.status_code, error_code(response)) == (404, "RESOURCE_UNKNOWN")


async def test_unknown_payment_is_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{SCT}/no-such-payment", headers=headers())
    assert (response.status_code, error_code(response)) == (404, "RESOURCE_UNKNOWN")


async def test_reading_under_an_unsupported_product_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world)
    response = await client.get(
        f"/banks/nordbank/v1/payments/cross-border-credit-transfers/{payment_id}",
        headers=headers(),
    )
    assert (response.status_code, error_code(response)) == (404, "PRODUCT_UNKNOWN")


async def test_cancellation_is_not_offered(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    response = await client.delete(f"{SCT}/{payment_id}", headers=headers())
    assert response.status_code == 405
    assert world.payments[payment_id].status is PaymentStatus.RCVD


# -- authorisations -----------------------------------------------------------------------


async def test_payment_lists_its_one_authorisation(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    response = await client.get(f"{SCT}/{payment_id}/authorisations", headers=headers())
    assert response.json() == {"authorisationIds": [world.payments[payment_id].authorisation_id]}


async def test_sca_status_starts_received(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    authorisation_id = world.payments[payment_id].authorisation_id
    response = await client.get(
        f"{SCT}/{payment_id}/authorisations/{authorisation_id}", headers=headers()
    )
    assert response.json() == {"scaStatus": "received"}


async def test_sca_status_after_authorisation_is_finalised(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world)
    authorise_payment(world, payment_id, "nordbank-c1")
    authorisation_id = world.payments[payment_id].authorisation_id
    response = await client.get(
        f"{SCT}/{payment_id}/authorisations/{authorisation_id}", headers=headers()
    )
    assert response.json() == {"scaStatus": "finalised"}


async def test_failed_sca_shows_as_failed_and_rejected(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world)
    fail_payment_authorisation(world, payment_id)
    authorisation_id = world.payments[payment_id].authorisation_id
    sca = await client.get(
        f"{SCT}/{payment_id}/authorisations/{authorisation_id}", headers=headers()
    )
    status = await client.get(f"{SCT}/{payment_id}/status", headers=headers())
    assert sca.json()["scaStatus"] == "failed"
    assert status.json()["transactionStatus"] == "RJCT"


async def test_unknown_authorisation_is_unknown(client: httpx.AsyncClient, world: World) -> None:
    payment_id = await initiate(client, world)
    response = await client.get(f"{SCT}/{payment_id}/authorisations/other", headers=headers())
    assert (response.status_code, error_code(response)) == (404, "RESOURCE_UNKNOWN")


async def test_explicit_authorisation_start_conflicts(
    client: httpx.AsyncClient, world: World
) -> None:
    payment_id = await initiate(client, world)
    response = await client.post(f"{SCT}/{payment_id}/authorisations", headers=headers())
    assert (response.status_code, error_code(response)) == (409, "STATUS_INVALID")
    assert world.payments[payment_id].status is PaymentStatus.RCVD
