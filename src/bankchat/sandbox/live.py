"""Live mode: new transactions keep arriving on random customers' accounts while the
sandbox serves, so webhooks, sync and fraud scoring have something to react to.

:class:`LiveFeed` makes one transaction per :meth:`LiveFeed.step` (tests drive it
directly); :func:`live_loop` steps it at a given rate. New transactions are recorded with
notification (``transaction.created``); some start pending and book a few steps later
(``transaction.booked``). A small share is fraud, labelled like the generator's. Card
payments are authorised like the bank would (:func:`partner.card_is_usable`), and the
bank learns of a skimming terminal only after a few fraudulent uses there.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from bankchat.sandbox import partner
from bankchat.sandbox.activity import (
    CODE_TRANSFER_IN,
    CODE_TRANSFER_OUT,
    Ids,
    Place,
    Profile,
    TransactionMaker,
    amount_outlier,
    atm_withdrawal,
    card_settlement,
    cents_between,
    home_city,
    money,
    person_name,
    regular_places,
    transfer_legs,
)
from bankchat.sandbox.catalog import FRIEND_NOTES, HOME_CITIES
from bankchat.sandbox.ledger import LedgerError
from bankchat.sandbox.model import (
    AccountKind,
    BookingStatus,
    Card,
    Category,
    FraudPattern,
    Transaction,
)
from bankchat.sandbox.world import World

log = logging.getLogger(__name__)

PENDING_SHARE = 0.3  # share of card payments that start pending
COMPROMISE_STEPS = 60  # how many steps a compromised terminal or card stays compromised
COMPROMISED_CARD_SHARE = 0.5  # share of a compromised card's payments that are fraud
TERMINAL_DISCOVERY_USES = 2  # fraudulent uses of a skimmed terminal before the bank knows
LOW_BALANCE = 200  # below this, the next money in is the customer's pay
EVERYDAY = (
    (Category.GROCERIES, 5),
    (Category.RESTAURANTS, 4),
    (Category.TRANSPORT, 3),
    (Category.SHOPPING, 2),
    (Category.ENTERTAINMENT, 1),
    (Category.HEALTH, 1),
)


@dataclass(slots=True)
class _Pending:
    due_step: int
    transaction_id: str


class LiveFeed:
    """Produces realistic transactions on the world's customers, one per step.

    ``fraud_rate`` is the chance per card payment of starting one of the three fraud
    patterns (an amount outlier, a compromised terminal, a compromised card).
    """

    def __init__(self, world: World, seed: int, *, fraud_rate: float = 0.006) -> None:
        self.world = world
        self.fraud_rate = fraud_rate
        self.rng = random.Random(f"live:{seed}")
        # Ids depend on the world's size too, so a restarted feed does not repeat them.
        self.maker = TransactionMaker(self.rng, Ids(f"live:{seed}:{len(world.transaction_index)}"))
        self.profiles = self._profiles()
        self.steps = 0
        self._pending: list[_Pending] = []
        self._terminals_until: dict[str, int] = {}
        self._cards_until: dict[str, int] = {}
        self._skimmed_uses: dict[str, int] = {}

    def _profiles(self) -> list[Profile]:
        profiles: list[Profile] = []
        for customer in sorted(self.world.customers.values(), key=lambda c: c.id):
            bank = self.world.banks[customer.bank_id]
            accounts = sorted(self.world.customer_accounts(customer.id), key=lambda a: a.id)
            checking = next((a for a in accounts if a.kind is AccountKind.CHECKING), None)
            if checking is None or bank.country not in HOME_CITIES:
                continue
            home = home_city(bank.country, customer.address.town)
            profile = Profile(customer, bank, home, checking)
            for account in accounts:
                cards = sorted(
                    (c for c in self.world.cards.values() if c.account_id == account.id),
                    key=lambda c: c.id,
                )
                if account is checking and cards:
                    profile.debit_card = cards[0]
                elif account.kind is AccountKind.SAVINGS and profile.savings is None:
                    profile.savings = account
                elif account.kind is AccountKind.CREDIT_CARD and cards and not profile.credit_card:
                    profile.card_account, profile.credit_card = account, cards[0]
            profile.regulars = regular_places(self.rng, bank.country, home)
            profiles.append(profile)
        return profiles

    def step(self) -> Transaction | None:
        """Book what is due, then make one new transaction (None if it was declined)."""
        self.steps += 1
        self._book_due()
        if not self.profiles:
            return None
        profile = self.rng.choice(self.profiles)
        # Customers (and whoever copied a card) try their cards whatever state they are in;
        # the bank declines at authorisation (_post_card).
        cards = profile.cards()
        roll = self.rng.random()
        try:
            if cards and roll < 0.78:
                return self._card_payment(profile, self.rng.choice(cards))
            if profile.debit_card in cards and roll < 0.83:
                return self._cash(profile)
            if roll < 0.9:
                return self._incoming(profile)
            if roll >= 0.95:
                settlement = self._settle_card(profile)
                if settlement is not None:
                    return settlement
            return self._pay_someone(profile)
        except LedgerError:
            return None  # declined: not enough money

    # -- kinds of transactions ----------------------------------------------------------

    def _card_payment(self, profile: Profile, card: Card) -> Transaction | None:
        rng = self.rng
        categories, weights = zip(*EVERYDAY, strict=True)
        place = rng.choice(profile.regulars[rng.choices(categories, weights)[0]])
        cents = cents_between(rng, place.merchant.min_cents, place.merchant.max_cents)
        roll = rng.random()
        if roll < self.fraud_rate / 3:
            return self._amount_outlier(profile, card)
        if roll < self.fraud_rate * 2 / 3 and place.city is not None:
            self._terminals_until[place.terminal_id] = self.steps + COMPROMISE_STEPS
        elif roll < self.fraud_rate:
            self._cards_until[card.id] = self.steps + COMPROMISE_STEPS
        fraud: FraudPattern | None = None
        if self._terminals_until.get(place.terminal_id, 0) >= self.steps:
            fraud = FraudPattern.COMPROMISED_TERMINAL
        elif (
            self._cards_until.get(card.id, 0) >= self.steps
            and rng.random() < COMPROMISED_CARD_SHARE
        ):
            cents *= rng.randint(3, 8)
            fraud = FraudPattern.COMPROMISED_CARD
        tx = self._post_card(profile, card, place, cents, fraud)
        if tx is not None and fraud is None:
            profile.note_purchase(cents)
        return tx

    def _amount_outlier(self, profile: Profile, card: Card) -> Transaction | None:
        usual = self._usual_cents(profile)
        place, cents = amount_outlier(self.rng, profile.bank.country, usual)
        return self._post_card(profile, card, place, cents, FraudPattern.AMOUNT_OUTLIER)

    def _usual_cents(self, profile: Profile) -> int:
        """The average of the customer's recent genuine card purchases."""
        if profile.purchases:
            return profile.usual_purchase_cents()
        recent = [
            -tx.amount
            for card in profile.cards()
            for tx in self.world.transactions[card.account_id][-50:]
            if tx.card_id == card.id and tx.amount < 0 and tx.fraud is None
        ]
        if not recent:
            return profile.usual_purchase_cents()
        return int(sum(recent) * 100) // len(recent)

    def _post_card(
        self, profile: Profile, card: Card, place: Place, cents: int, fraud: FraudPattern | None
    ) -> Transaction | None:
        """Authorise and record a card payment; None if the bank declines the card."""
        if not partner.card_is_usable(self.world, card.id):
            return None
        pending = self.rng.random() < PENDING_SHARE
        tx = self.maker.card_payment(
            self.world.accounts[card.account_id],
            card,
            place,
            cents,
            self.world.today(),
            pending=pending,
            fraud=fraud,
            language=profile.bank.language,
        )
        self._record(tx)
        if pending:
            self._pending.append(_Pending(self.steps + self.rng.randint(3, 12), tx.id))
        if fraud is FraudPattern.COMPROMISED_TERMINAL:
            self._note_skimmed(place.terminal_id)
        return tx

    def _note_skimmed(self, terminal_id: str) -> None:
        """After a few fraudulent uses the customers' disputes point the bank at the
        terminal; telling it any sooner would make its rule an oracle of the label."""
        uses = self._skimmed_uses.get(terminal_id, 0) + 1
        self._skimmed_uses[terminal_id] = uses
        if uses == TERMINAL_DISCOVERY_USES:
            partner.mark_terminal_compromised(self.world, terminal_id)

    def _cash(self, profile: Profile) -> Transaction | None:
        assert profile.debit_card is not None
        place, cents = atm_withdrawal(self.rng, profile)
        fraud = None
        if self._terminals_until.get(place.terminal_id, 0) >= self.steps:
            fraud = FraudPattern.COMPROMISED_TERMINAL
        return self._post_card(profile, profile.debit_card, place, cents, fraud)

    def _incoming(self, profile: Profile) -> Transaction:
        """Money in: pay when the account runs low, otherwise someone paying back."""
        rng, country = self.rng, profile.bank.country
        german = profile.bank.language == "de"
        if self.world.booked_balance(profile.checking.id) < LOW_BALANCE:
            cents = rng.randint(20, 40) * 10000
            name = "Arbeitgeber" if german else "Employer payroll"
            remittance = "Lohn/Gehalt" if german else "PAYROLL"
            category = Category.INCOME
        else:
            cents = rng.randint(2, 40) * 250
            name = person_name(rng, country)
            remittance = rng.choice(FRIEND_NOTES[country])
            category = Category.OTHER
        tx = self.maker.make(
            profile.checking,
            money(cents),
            self.world.today(),
            category,
            counterparty_name=name,
            remittance=remittance,
            code=CODE_TRANSFER_IN[country],
        )
        return self._record(tx)

    def _pay_someone(self, profile: Profile) -> Transaction:
        """A transfer to another customer of the same bank, or to someone elsewhere."""
        rng, country = self.rng, profile.bank.country
        cents = rng.randint(2, 60) * 250
        note = rng.choice(FRIEND_NOTES[country])
        others = [p for p in self.profiles if p.bank.id == profile.bank.id and p is not profile]
        if others and rng.random() < 0.5:
            friend = rng.choice(others)
            debit, credit = transfer_legs(
                self.maker,
                profile.checking,
                profile.customer.name,
                friend.checking,
                friend.customer.name,
                cents,
                self.world.today(),
                remittance=note,
                own=False,
                country=country,
            )
            return self._transfer(debit, credit)
        tx = self.maker.make(
            profile.checking,
            money(-cents),
            self.world.today(),
            Category.OTHER,
            counterparty_name=person_name(rng, country),
            remittance=note,
            code=CODE_TRANSFER_OUT[country],
        )
        return self._record(tx)

    def _settle_card(self, profile: Profile) -> Transaction | None:
        """Pay off the credit card from checking; None if there is nothing to settle."""
        legs = card_settlement(self.maker, self.world, profile, self.world.today())
        return None if legs is None else self._transfer(*legs)

    # -- recording ------------------------------------------------------------------

    def _fresh_id(self, tx: Transaction) -> None:
        # Whatever happened to the world since, a new transaction never reuses an id.
        while tx.id in self.world.transaction_index:
            tx.id = self.maker.ids.opaque()

    def _record(self, tx: Transaction) -> Transaction:
        self._fresh_id(tx)
        return self.world.record(tx, notify=True)

    def _transfer(self, debit: Transaction, credit: Transaction) -> Transaction:
        self._fresh_id(debit)
        self._fresh_id(credit)
        self.world.record_transfer(debit, credit)
        return debit

    def _book_due(self) -> None:
        due = [p for p in self._pending if p.due_step <= self.steps]
        if not due:
            return
        self._pending = [p for p in self._pending if p.due_step > self.steps]
        for pending in due:
            tx = self.world.transaction_index.get(pending.transaction_id)
            if tx is not None and tx.status is BookingStatus.PENDING:
                self.world.book(tx.id, self.world.today())


async def live_loop(world: World, rate: float, seed: int) -> None:
    """Make ``rate`` new transactions per second on ``world`` until cancelled."""
    feed = LiveFeed(world, seed)
    interval = 1.0 / rate
    while True:
        try:
            feed.step()
        except Exception:
            # One failed step (say, a card blocked meanwhile) must not end live mode.
            log.exception("live transaction failed")
        await asyncio.sleep(interval)
