"""NextGenPSD2 payment initiation routes of a sandbox bank (single payments, redirect SCA).

Thin: the rules live in ``payments``; this module reads the request, calls the service
and writes the spec's response bodies and links.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse

from bankchat.sandbox.deps import (
    BankDep,
    RequestIdDep,
    WorldDep,
    bank_path,
    base_url,
    redirect_uri,
)
from bankchat.sandbox.errors import Psd2Error, format_error, resource_unknown
from bankchat.sandbox.model import Bank, Payment, PaymentStatus
from bankchat.sandbox.payments import check_product, find_payment, initiate_payment
from bankchat.sandbox.references import account_reference
from bankchat.sandbox.world import World

router = APIRouter(prefix="/banks/{bank_id}", tags=["Payment Initiation Service (PIS)"])

ProductPath = Annotated[str, Path(alias="product", max_length=64)]
PaymentIdPath = Annotated[str, Path(alias="payment_id", max_length=64)]


@router.post("/v1/payments/{product}", status_code=201)
async def post_payment(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    request_id: RequestIdDep,
    product: ProductPath,
    tpp_redirect_uri: Annotated[str | None, Header(alias="TPP-Redirect-URI")] = None,
    tpp_nok_redirect_uri: Annotated[str | None, Header(alias="TPP-Nok-Redirect-URI")] = None,
) -> JSONResponse:
    """Initiate a single payment; the PSU authorises it on the bank's SCA page."""
    ok_uri = redirect_uri(tpp_redirect_uri, "TPP-Redirect-URI", required=True)
    nok_uri = redirect_uri(tpp_nok_redirect_uri, "TPP-Nok-Redirect-URI", required=False)
    body = await _json_body(request)
    payment, _created = initiate_payment(world, bank, product, request_id, body, ok_uri, nok_uri)
    links = _links(bank, payment)
    links["scaRedirect"] = {"href": sca_redirect_url(request, bank, payment)}
    content = {
        "transactionStatus": payment.status.value,
        "paymentId": payment.id,
        "_links": links,
        "scaStatus": payment.sca_status.value,
    }
    headers = {
        "Location": f"{base_url(request, bank)}{_payment_path(payment)}",
        "X-Request-ID": request_id,
        "ASPSP-SCA-Approach": "REDIRECT",
    }
    return JSONResponse(content, status_code=201, headers=headers)


@router.get("/v1/payments/{product}/{payment_id}")
async def get_payment(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    product: ProductPath,
    payment_id: PaymentIdPath,
) -> dict[str, object]:
    """The payment order as initiated, with its transaction status."""
    payment = _payment_at(world, bank, product, payment_id)
    debtor = world.accounts[payment.debtor_account_id]
    body: dict[str, object] = {
        "debtorAccount": account_reference(debtor, currency=True),
        "instructedAmount": {"currency": payment.currency, "amount": f"{payment.amount:.2f}"},
        "creditorAccount": (
            {"iban": payment.creditor_iban}
            if payment.creditor_iban
            else {"bban": payment.creditor_bban}
        ),
        "creditorName": payment.creditor_name,
        "transactionStatus": payment.status.value,
    }
    if payment.remittance is not None:
        body["remittanceInformationUnstructured"] = payment.remittance
    if payment.end_to_end_id is not None:
        body["endToEndIdentification"] = payment.end_to_end_id
    return body


@router.get("/v1/payments/{product}/{payment_id}/status")
async def get_payment_status(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    product: ProductPath,
    payment_id: PaymentIdPath,
) -> dict[str, object]:
    """Where the payment stands (ISO 20022 transaction status)."""
    payment = _payment_at(world, bank, product, payment_id)
    body: dict[str, object] = {"transactionStatus": payment.status.value}
    if payment.status is PaymentStatus.ACTC:
        # The funds were checked and are held for the payment.
        body["fundsAvailable"] = True
    if payment.reject_reason is not None:
        body["psuMessage"] = payment.reject_reason
    return body


@router.get("/v1/payments/{product}/{payment_id}/authorisations")
async def get_payment_authorisations(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    product: ProductPath,
    payment_id: PaymentIdPath,
) -> dict[str, object]:
    """The payment's authorisation sub-resources: the one created with the payment."""
    payment = _payment_at(world, bank, product, payment_id)
    return {"authorisationIds": [payment.authorisation_id]}


@router.post("/v1/payments/{product}/{payment_id}/authorisations")
async def start_payment_authorisation(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    product: ProductPath,
    payment_id: PaymentIdPath,
) -> dict[str, object]:
    """Refused: the authorisation is created with the payment (implicit start)."""
    payment = _payment_at(world, bank, product, payment_id)
    raise Psd2Error(
        409,
        "STATUS_INVALID",
        f"payment {payment.id} already has its authorisation {payment.authorisation_id}; "
        "follow the scaRedirect link of the initiation response",
    )


@router.get("/v1/payments/{product}/{payment_id}/authorisations/{authorisation_id}")
async def get_payment_sca_status(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    product: ProductPath,
    payment_id: PaymentIdPath,
    authorisation_id: Annotated[str, Path(max_length=64)],
) -> dict[str, object]:
    """The SCA status of the payment's authorisation."""
    payment = _payment_at(world, bank, product, payment_id)
    if authorisation_id != payment.authorisation_id:
        raise resource_unknown(f"payment {payment.id} has no authorisation {authorisation_id!r}")
    return {"scaStatus": payment.sca_status.value}


def sca_redirect_url(request: Request, bank: Bank, payment: Payment) -> str:
    """Where the TPP sends the PSU's browser to authorise ``payment``."""
    return f"{base_url(request, bank)}/sca/payments/{payment.id}/{payment.authorisation_id}"


async def _json_body(request: Request) -> object:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Psd2Error(415, "FORMAT_ERROR", "this payment product takes a JSON body")
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise format_error("the body is not valid JSON") from None


def _payment_at(world: World, bank: Bank, product: str, payment_id: str) -> Payment:
    """The payment addressed by the path; another bank's payment is unknown here."""
    check_product(product)
    payment = find_payment(world, payment_id)
    if payment.bank_id != bank.id or payment.product != product:
        raise resource_unknown(f"no payment with id {payment_id!r}")
    return payment


def _payment_path(payment: Payment) -> str:
    return f"/v1/payments/{payment.product}/{payment.id}"


def _links(bank: Bank, payment: Payment) -> dict[str, dict[str, str]]:
    path = _payment_path(payment)
    return {
        "self": {"href": bank_path(bank, path)},
        "status": {"href": bank_path(bank, f"{path}/status")},
        "scaStatus": {"href": bank_path(bank, f"{path}/authorisations/{payment.authorisation_id}")},
    }
