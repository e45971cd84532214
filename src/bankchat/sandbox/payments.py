"""Payment initiation in the sandbox bank: accepting a credit transfer order from a TPP,
authorising it after the customer's SCA, and clearing it.

Clearing moves the money in the banks' ledgers: within one bank as a single entry,
between two sandbox banks through each bank's clearing account, and to the world outside
the sandbox through the bank's external account. Everything here is a plain function on
the :class:`World`; the HTTP routes live in ``payments_api``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bankchat.sandbox.errors import Psd2Error, format_error, resource_unknown
from bankchat.sandbox.iban import is_valid_iban
from bankchat.sandbox.ledger import InsufficientFunds
from bankchat.sandbox.model import (
    Account,
    Bank,
    BookingStatus,
    Category,
    Payment,
    PaymentStatus,
    ScaStatus,
    Transaction,
)
from bankchat.sandbox.references import find_account
from bankchat.sandbox.world import CLEARING, EXTERNAL, World, new_id

log = logging.getLogger(__name__)

SEPA_CREDIT_TRANSFERS = "sepa-credit-transfers"
INSTANT_SEPA_CREDIT_TRANSFERS = "instant-sepa-credit-transfers"
PRODUCTS = frozenset({SEPA_CREDIT_TRANSFERS, INSTANT_SEPA_CREDIT_TRANSFERS})
INSTANT_PRODUCTS = frozenset({INSTANT_SEPA_CREDIT_TRANSFERS})

# ISO 20022 bank transaction codes: issued and received SEPA credit transfer.
_ISSUED_CREDIT_TRANSFER = "PMNT-ICDT-ESCT"
_RECEIVED_CREDIT_TRANSFER = "PMNT-RCDT-ESCT"

_AMOUNT = re.compile(r"[0-9]{1,14}(\.[0-9]{1,2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_BBAN = re.compile(r"[A-Za-z0-9]{1,30}")
_CENT = Decimal("0.01")

_MAX_CREDITOR_NAME = 70
_MAX_REMITTANCE = 140
_MAX_END_TO_END_ID = 35


@dataclass(frozen=True, slots=True)
class _TransferOrder:
    """A validated credit transfer order, as compared for a repeated X-Request-ID."""

    product: str
    debtor_account_id: str
    creditor_name: str
    creditor_iban: str | None
    creditor_bban: str | None
    amount: Decimal
    currency: str
    remittance: str | None
    end_to_end_id: str | None
    redirect_uri: str | None
    nok_redirect_uri: str | None


# -- initiation ---------------------------------------------------------------------------


def check_product(product: str) -> None:
    """Raise the spec's error unless this sandbox offers ``product`` (single JSON payments)."""
    if product not in PRODUCTS:
        raise Psd2Error(
            404,
            "PRODUCT_UNKNOWN",
            f"payment product {product!r} is not offered; use one of {', '.join(sorted(PRODUCTS))}",
        )


def initiate_payment(
    world: World,
    bank: Bank,
    product: str,
    request_id: str,
    body: object,
    redirect_uri: str,
    nok_redirect_uri: str | None,
) -> tuple[Payment, bool]:
    """Accept a payment order at ``bank``; the flag says whether a new payment was created.

    A repeated ``request_id`` at the same bank returns the payment it created, provided
    the order and both redirect URIs are the same; anything different under a used
    ``request_id`` is refused.
    The redirect URIs come checked from the request (``deps.redirect_uri``). Raises
    :class:`Psd2Error` for anything invalid, and then creates nothing.
    """
    check_product(product)
    order = _parse_order(world, bank, product, body, redirect_uri, nok_redirect_uri)
    existing = world.payment_by_request_id(bank.id, request_id)
    if existing is not None:
        if _order_of(existing) != order:
            raise format_error(
                "X-Request-ID was already used for a different payment order", "X-Request-ID"
            )
        return existing, False
    payment = Payment(
        id=new_id(),
        bank_id=bank.id,
        product=product,
        request_id=request_id,
        debtor_account_id=order.debtor_account_id,
        creditor_name=order.creditor_name,
        creditor_iban=order.creditor_iban,
        creditor_bban=order.creditor_bban,
        amount=order.amount,
        currency=order.currency,
        remittance=order.remittance,
        end_to_end_id=order.end_to_end_id,
        status=PaymentStatus.RCVD,
        sca_status=ScaStatus.RECEIVED,
        created_at=world.clock(),
        authorisation_id=new_id(),
        redirect_uri=order.redirect_uri,
        nok_redirect_uri=order.nok_redirect_uri,
    )
    world.add_payment(payment)
    return payment, True


def _order_of(payment: Payment) -> _TransferOrder:
    return _TransferOrder(
        product=payment.product,
        debtor_account_id=payment.debtor_account_id,
        creditor_name=payment.creditor_name,
        creditor_iban=payment.creditor_iban,
        creditor_bban=payment.creditor_bban,
        amount=payment.amount,
        currency=payment.currency,
        remittance=payment.remittance,
        end_to_end_id=payment.end_to_end_id,
        redirect_uri=payment.redirect_uri,
        nok_redirect_uri=payment.nok_redirect_uri,
    )


def _parse_order(
    world: World,
    bank: Bank,
    product: str,
    body: object,
    redirect_uri: str,
    nok_redirect_uri: str | None,
) -> _TransferOrder:
    if not isinstance(body, Mapping):
        raise format_error("the body must be a JSON object")
    debtor = _debtor_account(world, bank, _object(body, "debtorAccount"))
    amount, currency = _instructed_amount(_object(body, "instructedAmount"))
    if currency != debtor.currency:
        raise format_error(
            f"instructedAmount.currency must be the debtor account's currency {debtor.currency}",
            "instructedAmount.currency",
        )
    creditor_iban, creditor_bban = _creditor_reference(_object(body, "creditorAccount"))
    _check_sandbox_creditor(world, debtor, currency, creditor_iban, creditor_bban)
    return _TransferOrder(
        product=product,
        debtor_account_id=debtor.id,
        creditor_name=_required_text(body, "creditorName", _MAX_CREDITOR_NAME),
        creditor_iban=creditor_iban,
        creditor_bban=creditor_bban,
        amount=amount,
        currency=currency,
        remittance=_text(body, "remittanceInformationUnstructured", _MAX_REMITTANCE),
        end_to_end_id=_text(body, "endToEndIdentification", _MAX_END_TO_END_ID),
        redirect_uri=redirect_uri,
        nok_redirect_uri=nok_redirect_uri,
    )


def _object(body: Mapping[object, object], name: str) -> Mapping[object, object]:
    value = body.get(name)
    if value is None:
        raise format_error(f"{name} is missing", name)
    if not isinstance(value, Mapping):
        raise format_error(f"{name} must be an object", name)
    return value


def _string(container: Mapping[object, object], name: str, path: str) -> str | None:
    value = container.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise format_error(f"{path} must be a string", path)
    return value


def _text(body: Mapping[object, object], name: str, max_length: int) -> str | None:
    value = _string(body, name, name)
    if value is None or not value.strip():
        return None
    if len(value) > max_length:
        raise format_error(f"{name} is longer than {max_length} characters", name)
    return value


def _required_text(body: Mapping[object, object], name: str, max_length: int) -> str:
    value = _text(body, name, max_length)
    if value is None:
        raise format_error(f"{name} is missing", name)
    return value


def _debtor_account(world: World, bank: Bank, reference: Mapping[object, object]) -> Account:
    iban = _string(reference, "iban", "debtorAccount.iban")
    bban = _string(reference, "bban", "debtorAccount.bban")
    if (iban is None) == (bban is None):
        raise format_error("debtorAccount needs exactly one of iban or bban", "debtorAccount")
    account = find_account(world, iban=iban, bban=bban, bank_id=bank.id)
    if account is None:
        # The spec's convention: an unknown resource named in the payload is a 400.
        raise resource_unknown(f"debtorAccount is not an account at {bank.name}", 400)
    currency = _string(reference, "currency", "debtorAccount.currency")
    if currency is not None and currency != account.currency:
        raise format_error(
            f"debtorAccount.currency does not match the account's currency {account.currency}",
            "debtorAccount.currency",
        )
    return account


def _instructed_amount(instructed: Mapping[object, object]) -> tuple[Decimal, str]:
    currency = _string(instructed, "currency", "instructedAmount.currency")
    if currency is None or not _CURRENCY.fullmatch(currency):
        raise format_error(
            "instructedAmount.currency must be an ISO 4217 code", "instructedAmount.currency"
        )
    text = _string(instructed, "amount", "instructedAmount.amount")
    if text is None or not _AMOUNT.fullmatch(text):
        raise format_error(
            "instructedAmount.amount must be a positive decimal string with at most 2 decimals",
            "instructedAmount.amount",
        )
    amount = Decimal(text).quantize(_CENT)
    if amount <= 0:
        raise format_error("instructedAmount.amount must be above zero", "instructedAmount.amount")
    return amount, currency


def _creditor_reference(reference: Mapping[object, object]) -> tuple[str | None, str | None]:
    iban = _string(reference, "iban", "creditorAccount.iban")
    bban = _string(reference, "bban", "creditorAccount.bban")
    if (iban is None) == (bban is None):
        raise format_error("creditorAccount needs exactly one of iban or bban", "creditorAccount")
    if iban is not None and not is_valid_iban(iban):
        raise format_error("creditorAccount.iban is not a valid IBAN", "creditorAccount.iban")
    if bban is not None and not _BBAN.fullmatch(bban):
        raise format_error("creditorAccount.bban is not a valid BBAN", "creditorAccount.bban")
    return iban, bban


def _check_sandbox_creditor(
    world: World, debtor: Account, currency: str, iban: str | None, bban: str | None
) -> None:
    creditor = find_account(world, iban=iban, bban=bban)
    if creditor is None:
        return
    if creditor.id == debtor.id:
        raise Psd2Error(400, "PAYMENT_FAILED", "debtor and creditor account are the same")
    if creditor.currency != currency:
        raise Psd2Error(
            400,
            "PAYMENT_FAILED",
            f"the creditor account is kept in {creditor.currency}; this bank does not convert",
        )


# -- authorisation ------------------------------------------------------------------------


def find_payment(world: World, payment_id: str) -> Payment:
    """The payment with ``payment_id``; raises RESOURCE_UNKNOWN (404) if there is none."""
    payment = world.payments.get(payment_id)
    if payment is None:
        raise resource_unknown(f"no payment with id {payment_id!r}")
    return payment


def debit_transaction_id(payment: Payment) -> str:
    """Id of the debtor's transaction for ``payment``, which is also its ledger reference."""
    return f"{payment.id}-debit"


def credit_transaction_id(payment: Payment) -> str:
    """Id of the creditor's transaction for ``payment`` when the creditor is in the sandbox."""
    return f"{payment.id}-credit"


def authorise_payment(world: World, payment_id: str, customer_id: str) -> Payment:
    """The customer ``customer_id`` confirmed the payment by SCA: accept it and hold the funds.

    The debtor sees a pending debit until clearing books it; instant payments are cleared
    at once. The payment is rejected if the debtor account is not the customer's (SCA
    failed) or lacks the funds (SCA done, payment refused). A payment that is no longer
    waiting for SCA is returned unchanged. Raises RESOURCE_UNKNOWN for an unknown id.
    """
    payment = find_payment(world, payment_id)
    if payment.status is not PaymentStatus.RCVD:
        return payment
    debtor = world.accounts[payment.debtor_account_id]
    if debtor.customer_id != customer_id:
        _reject(
            payment,
            ScaStatus.FAILED,
            "the debtor account does not belong to the signed-in customer",
        )
        return payment
    payment.customer_id = customer_id
    try:
        world.record(_debit_transaction(world, payment))
    except InsufficientFunds:
        _reject(payment, ScaStatus.FINALISED, "insufficient funds on the debtor account")
        return payment
    payment.status = PaymentStatus.ACTC
    payment.sca_status = ScaStatus.FINALISED
    if payment.product in INSTANT_PRODUCTS:
        _settle(world, payment)
    return payment


def fail_payment_authorisation(world: World, payment_id: str) -> Payment:
    """The customer's SCA failed or was cancelled: the payment is rejected.

    A payment that is no longer waiting for SCA is returned unchanged.
    """
    payment = find_payment(world, payment_id)
    if payment.status is PaymentStatus.RCVD:
        _reject(payment, ScaStatus.FAILED, "the customer did not authorise the payment")
    return payment


def _reject(payment: Payment, sca_status: ScaStatus, reason: str) -> None:
    payment.status = PaymentStatus.RJCT
    payment.sca_status = sca_status
    payment.reject_reason = reason


def _debit_transaction(world: World, payment: Payment) -> Transaction:
    debtor = world.accounts[payment.debtor_account_id]
    today = world.today()
    return Transaction(
        id=debit_transaction_id(payment),
        account_id=debtor.id,
        entry_reference=new_id(),
        amount=-payment.amount,
        currency=payment.currency,
        status=BookingStatus.PENDING,
        value_date=today,
        booking_date=None,
        category=Category.OTHER,
        transaction_date=today,
        counterparty_name=payment.creditor_name,
        counterparty_iban=payment.creditor_iban,
        remittance=payment.remittance,
        bank_transaction_code=_ISSUED_CREDIT_TRANSFER,
        created_at=world.clock(),
    )


def _credit_transaction(world: World, payment: Payment, creditor: Account) -> Transaction:
    debtor = world.accounts[payment.debtor_account_id]
    debtor_name = world.customers[debtor.customer_id].name
    today = world.today()
    return Transaction(
        id=credit_transaction_id(payment),
        account_id=creditor.id,
        entry_reference=new_id(),
        amount=payment.amount,
        currency=payment.currency,
        status=BookingStatus.BOOKED,
        value_date=today,
        booking_date=today,
        category=Category.INCOME,
        transaction_date=today,
        counterparty_name=debtor_name,
        counterparty_iban=debtor.iban,
        remittance=payment.remittance,
        bank_transaction_code=_RECEIVED_CREDIT_TRANSFER,
        created_at=world.clock(),
    )


# -- clearing -----------------------------------------------------------------------------


def run_clearing(world: World) -> int:
    """Settle every accepted payment; returns how many were settled.

    A payment that cannot be settled is logged and stays accepted, so it never holds up
    the payments behind it.
    """
    accepted = [p for p in world.payments.values() if p.status is PaymentStatus.ACTC]
    settled = 0
    for payment in accepted:
        try:
            _settle(world, payment)
        except Exception:
            log.exception("payment %s could not be settled", payment.id)
            continue
        settled += 1
    return settled


def _settle(world: World, payment: Payment) -> None:
    """Book the held debit and credit the creditor, whichever bank keeps the account."""
    if payment.status is not PaymentStatus.ACTC:
        return
    debtor = world.accounts[payment.debtor_account_id]
    creditor = find_account(world, iban=payment.creditor_iban, bban=payment.creditor_bban)
    today = world.today()
    debit_id = debit_transaction_id(payment)
    if creditor is None:
        world.book(debit_id, today, counter_account=EXTERNAL)
    elif creditor.bank_id == debtor.bank_id:
        # Both legs in one journal entry of the bank's ledger.
        world.book(debit_id, today, counter_account=creditor.id)
        world.list_posted(_credit_transaction(world, payment, creditor))
    else:
        # Each bank balances its own ledger through its clearing account; the two
        # clearing positions cancel out across the sandbox.
        world.book(debit_id, today, counter_account=CLEARING)
        world.record(_credit_transaction(world, payment, creditor), counter_account=CLEARING)
    payment.status = PaymentStatus.ACSC
    payment.settled_at = world.clock()


async def clearing_loop(world: World, interval: float) -> None:
    """Run clearing every ``interval`` seconds until cancelled."""
    while True:
        await asyncio.sleep(interval)
        run_clearing(world)
