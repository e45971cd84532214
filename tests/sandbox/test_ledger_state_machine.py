"""Random sequences of payments, retries, authorisations and clearing runs never create or
lose money, never overdraw an account and never settle a payment twice."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bankchat.sandbox.errors import Psd2Error
from bankchat.sandbox.iban import german_iban
from bankchat.sandbox.model import Account, PaymentStatus
from bankchat.sandbox.payments import (
    INSTANT_SEPA_CREDIT_TRANSFERS,
    SEPA_CREDIT_TRANSFERS,
    authorise_payment,
    credit_transaction_id,
    debit_transaction_id,
    fail_payment_authorisation,
    initiate_payment,
    run_clearing,
)
from bankchat.sandbox.world import CLEARING, World
from tests.sandbox.worlds import small_world

ZERO = Decimal("0")
EXTERNAL_CREDITORS = {
    "EUR": {"iban": german_iban("12345678", 4711)},
    "USD": {"bban": "99887766554433"},
}


@dataclass(frozen=True)
class SentOrder:
    bank_id: str
    request_id: str
    product: str
    body: dict[str, object]
    currency: str
    amount: Decimal
    payment_id: str


def reference(account: Account) -> dict[str, object]:
    return {"iban": account.iban} if account.iban else {"bban": account.bban}


class PaymentsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world: World = small_world()
        self.addressable = [a for a in self.world.accounts.values() if a.iban or a.bban]
        self.currencies = sorted({a.currency for a in self.world.accounts.values()})
        self.initial_customer_total = {c: self.customer_total(c) for c in self.currencies}
        self.sent: list[SentOrder] = []

    def customer_total(self, currency: str) -> Decimal:
        return sum(
            (
                self.world.booked_balance(a.id)
                for a in self.world.accounts.values()
                if a.currency == currency
            ),
            ZERO,
        )

    def is_outside(self, iban: str | None, bban: str | None) -> bool:
        if iban is not None:
            return iban not in self.world.accounts_by_iban
        return bban not in self.world.accounts_by_bban

    def payments_in(self, status: PaymentStatus) -> list[str]:
        return sorted(p.id for p in self.world.payments.values() if p.status is status)

    # -- rules --------------------------------------------------------------------------

    @rule(
        data=st.data(),
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("15000"), places=2),
        instant=st.booleans(),
        to_outside=st.booleans(),
    )
    def initiate(
        self, data: st.DataObject, amount: Decimal, instant: bool, to_outside: bool
    ) -> None:
        debtor = data.draw(st.sampled_from(self.addressable), label="debtor")
        if to_outside:
            creditor_reference: dict[str, object] = dict(EXTERNAL_CREDITORS[debtor.currency])
        else:
            candidates = [
                a for a in self.addressable if a.currency == debtor.currency and a.id != debtor.id
            ]
            creditor_reference = reference(data.draw(st.sampled_from(candidates), label="creditor"))
        body: dict[str, object] = {
            "debtorAccount": reference(debtor),
            "instructedAmount": {"currency": debtor.currency, "amount": str(amount)},
            "creditorAccount": creditor_reference,
            "creditorName": "Someone",
        }
        product = INSTANT_SEPA_CREDIT_TRANSFERS if instant else SEPA_CREDIT_TRANSFERS
        request_id = str(uuid.uuid4())
        payment, created = initiate_payment(
            self.world,
            self.world.banks[debtor.bank_id],
            product,
            request_id,
            body,
            "https://tpp.example/done",
            None,
        )
        assert created
        self.sent.append(
            SentOrder(
                debtor.bank_id, request_id, product, body, debtor.currency, amount, payment.id
            )
        )

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self.sent), label="retried order")
        count = len(self.world.payments)
        payment, created = initiate_payment(
            self.world,
            self.world.banks[sent.bank_id],
            sent.product,
            sent.request_id,
            sent.body,
            "https://tpp.example/done",
            None,
        )
        assert (payment.id, created) == (sent.payment_id, False)
        assert len(self.world.payments) == count

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def retry_with_another_amount(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self.sent), label="retried order")
        other_amount = sent.amount + Decimal("0.01")
        body = {
            **sent.body,
            "instructedAmount": {"currency": sent.currency, "amount": str(other_amount)},
        }
        count = len(self.world.payments)
        with pytest.raises(Psd2Error) as refused:
            initiate_payment(
                self.world,
                self.world.banks[sent.bank_id],
                sent.product,
                sent.request_id,
                body,
                "https://tpp.example/done",
                None,
            )
        assert (refused.value.status, refused.value.code) == (400, "FORMAT_ERROR")
        assert len(self.world.payments) == count

    @precondition(lambda self: self.payments_in(PaymentStatus.RCVD))
    @rule(data=st.data())
    def authorise(self, data: st.DataObject) -> None:
        payment_id = data.draw(st.sampled_from(self.payments_in(PaymentStatus.RCVD)))
        payment = self.world.payments[payment_id]
        owner = self.world.accounts[payment.debtor_account_id].customer_id
        authorise_payment(self.world, payment_id, owner)
        assert payment.status in (PaymentStatus.ACTC, PaymentStatus.ACSC, PaymentStatus.RJCT)

    @precondition(lambda self: self.payments_in(PaymentStatus.RCVD))
    @rule(data=st.data())
    def fail_sca(self, data: st.DataObject) -> None:
        payment_id = data.draw(st.sampled_from(self.payments_in(PaymentStatus.RCVD)))
        assert fail_payment_authorisation(self.world, payment_id).status is PaymentStatus.RJCT

    @rule()
    def clear(self) -> None:
        accepted = len(self.payments_in(PaymentStatus.ACTC))
        assert run_clearing(self.world) == accepted
        assert self.payments_in(PaymentStatus.ACTC) == []

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def every_ledger_balances(self) -> None:
        for ledger in self.world.ledgers.values():
            assert ledger.total() == ZERO

    @invariant()
    def clearing_positions_cancel_out_per_currency(self) -> None:
        for currency in self.currencies:
            positions = [
                ledger.balance(CLEARING)
                for ledger in self.world.ledgers.values()
                if ledger.currency == currency
            ]
            assert sum(positions, ZERO) == ZERO

    @invariant()
    def customer_money_leaves_only_to_the_outside(self) -> None:
        for currency in self.currencies:
            paid_out = sum(
                (
                    p.amount
                    for p in self.world.payments.values()
                    if p.currency == currency
                    and p.status is PaymentStatus.ACSC
                    and self.is_outside(p.creditor_iban, p.creditor_bban)
                ),
                ZERO,
            )
            assert self.customer_total(currency) == self.initial_customer_total[currency] - paid_out

    @invariant()
    def no_account_is_below_its_floor(self) -> None:
        for account in self.world.accounts.values():
            available = self.world.ledger_of(account.id).available(account.id)
            assert available is not None
            assert available >= ZERO

    @invariant()
    def no_payment_is_settled_twice(self) -> None:
        references = Counter(
            entry.reference for ledger in self.world.ledgers.values() for entry in ledger.journal
        )
        for payment in self.world.payments.values():
            debits = references[debit_transaction_id(payment)]
            assert debits == (1 if payment.status is PaymentStatus.ACSC else 0)
            assert references[credit_transaction_id(payment)] <= 1


PaymentsMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
test_payments_keep_the_ledgers_sound = PaymentsMachine.TestCase
