"""The sandbox's whole state: every bank, customer, account, card, transaction, consent
and payment, with the ledgers that keep the money straight.

The world lives in memory and is only changed from the event loop's thread, so each
change is atomic without locks. Anything that must react to a change (webhooks, tests)
subscribes with :meth:`World.subscribe`.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from bankchat.sandbox.ledger import Ledger, Posting
from bankchat.sandbox.model import (
    Account,
    Bank,
    BookingStatus,
    Card,
    Consent,
    Customer,
    Payment,
    Transaction,
)

# Internal ledger accounts of every bank.
EXTERNAL = "internal:external"  # the world outside the sandbox (employers, shops, landlords)
CLEARING = "internal:clearing"  # what this bank owes to or is owed by other sandbox banks


@dataclass(slots=True, frozen=True)
class WorldEvent:
    """Something that happened, for subscribers such as the webhook sender."""

    kind: str  # "transaction.created", "transaction.booked", "card.blocked", ...
    bank_id: str
    account_id: str | None
    transaction: Transaction | None = None
    detail: dict[str, str] = field(default_factory=dict)


Subscriber = Callable[[WorldEvent], None]


def new_id() -> str:
    """An opaque resource id."""
    return uuid.uuid4().hex


class World:
    """Every sandbox bank in one process."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.banks: dict[str, Bank] = {}
        self.ledgers: dict[str, Ledger] = {}
        self.customers: dict[str, Customer] = {}
        self.accounts: dict[str, Account] = {}
        self.cards: dict[str, Card] = {}
        self.consents: dict[str, Consent] = {}
        self.payments: dict[str, Payment] = {}
        self._payments_by_request: dict[tuple[str, str], Payment] = {}
        # Per account, ordered by (sort date, insertion); the PSD2 API lists newest first.
        self.transactions: dict[str, list[Transaction]] = {}
        self._sort_keys: dict[str, list[tuple[date, int]]] = {}
        self.transaction_index: dict[str, Transaction] = {}
        self.accounts_by_iban: dict[str, str] = {}
        self.accounts_by_bban: dict[str, str] = {}
        self._seq = 0
        self._subscribers: list[Subscriber] = []

    def today(self) -> date:
        return self.clock().date()

    # -- set-up ---------------------------------------------------------------------

    def add_bank(self, bank: Bank) -> None:
        self.banks[bank.id] = bank
        ledger = Ledger(bank.id, bank.currency)
        ledger.open(EXTERNAL, floor=None)
        ledger.open(CLEARING, floor=None)
        self.ledgers[bank.id] = ledger

    def add_customer(self, customer: Customer) -> None:
        self.customers[customer.id] = customer

    def add_account(self, account: Account) -> None:
        self.accounts[account.id] = account
        self.ledgers[account.bank_id].open(account.id, floor=-account.credit_limit)
        self.transactions[account.id] = []
        self._sort_keys[account.id] = []
        if account.iban:
            self.accounts_by_iban[account.iban] = account.id
        if account.bban:
            self.accounts_by_bban[account.bban] = account.id

    def add_card(self, card: Card) -> None:
        self.cards[card.id] = card

    def add_payment(self, payment: Payment) -> None:
        self.payments[payment.id] = payment
        self._payments_by_request[(payment.bank_id, payment.request_id)] = payment

    def payment_by_request_id(self, bank_id: str, request_id: str) -> Payment | None:
        """The payment a bank created for an ``X-Request-ID``, if any (idempotent retries)."""
        return self._payments_by_request.get((bank_id, request_id))

    # -- queries --------------------------------------------------------------------

    def customer_accounts(self, customer_id: str) -> list[Account]:
        return [a for a in self.accounts.values() if a.customer_id == customer_id]

    def find_customer(self, bank_id: str, login: str) -> Customer | None:
        for customer in self.customers.values():
            if customer.bank_id == bank_id and customer.login == login:
                return customer
        return None

    def booked_balance(self, account_id: str) -> Decimal:
        return self.ledgers[self.accounts[account_id].bank_id].balance(account_id)

    def ledger_of(self, account_id: str) -> Ledger:
        return self.ledgers[self.accounts[account_id].bank_id]

    # -- changes --------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def emit(self, event: WorldEvent) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)

    def record(
        self, tx: Transaction, *, counter_account: str = EXTERNAL, notify: bool = True
    ) -> Transaction:
        """Add ``tx`` to its account: book it in the ledger, or hold funds if pending.

        The counter posting goes to ``counter_account`` of the same bank. Raises
        ``InsufficientFunds`` (and records nothing) if a debit would break the floor.
        """
        ledger = self.ledger_of(tx.account_id)
        if tx.status is BookingStatus.BOOKED:
            ledger.post(
                tx.id,
                [Posting(tx.account_id, tx.amount), Posting(counter_account, -tx.amount)],
                self.clock(),
            )
        elif tx.amount < 0:
            ledger.hold(tx.account_id, tx.id, -tx.amount)
        self._insert(tx)
        if notify:
            self.emit(WorldEvent("transaction.created", ledger.bank_id, tx.account_id, tx))
        return tx

    def book(
        self, transaction_id: str, booking_date: date, *, counter_account: str = EXTERNAL
    ) -> Transaction:
        """Book a pending transaction in place; its ids and entry reference stay the same."""
        tx = self.transaction_index[transaction_id]
        if tx.status is BookingStatus.BOOKED:
            return tx
        ledger = self.ledger_of(tx.account_id)
        ledger.post(
            tx.id,
            [Posting(tx.account_id, tx.amount), Posting(counter_account, -tx.amount)],
            self.clock(),
            releasing_hold=tx.id,
        )
        self._remove(tx)
        tx.status = BookingStatus.BOOKED
        tx.booking_date = booking_date
        self._insert(tx)
        self.emit(WorldEvent("transaction.booked", ledger.bank_id, tx.account_id, tx))
        return tx

    def record_transfer(self, debit: Transaction, credit: Transaction) -> None:
        """Book a transfer between two accounts of one bank as a single ledger entry and
        list both legs; raises ``InsufficientFunds`` (recording nothing) if the debit is
        refused."""
        self.ledger_of(debit.account_id).post(
            debit.id,
            [Posting(debit.account_id, debit.amount), Posting(credit.account_id, credit.amount)],
            self.clock(),
        )
        self.list_posted(debit)
        self.list_posted(credit)

    def list_posted(self, tx: Transaction) -> Transaction:
        """Show ``tx`` on its account without posting it: its ledger posting was already
        made as a leg of another entry (a transfer between two accounts of one bank)."""
        self._insert(tx)
        bank_id = self.accounts[tx.account_id].bank_id
        self.emit(WorldEvent("transaction.created", bank_id, tx.account_id, tx))
        return tx

    def _insert(self, tx: Transaction) -> None:
        self._seq += 1
        key = (tx.sort_date, self._seq)
        keys = self._sort_keys[tx.account_id]
        position = bisect.bisect(keys, key)
        keys.insert(position, key)
        self.transactions[tx.account_id].insert(position, tx)
        self.transaction_index[tx.id] = tx

    def _remove(self, tx: Transaction) -> None:
        items = self.transactions[tx.account_id]
        position = items.index(tx)
        del items[position]
        del self._sort_keys[tx.account_id][position]
