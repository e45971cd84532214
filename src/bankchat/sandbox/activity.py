"""Building blocks of customer activity shared by the data generator and live mode.

Merchant locations with stable terminals, deterministic ids, per-customer spending
profiles and the construction of transactions (card payments, transfers, direct
debits) with every detail the sandbox keeps: merchant, category, place, terminal, card.
The choices both make the same way (a cash withdrawal, an amount outlier, a stranger's
name, settling the credit card) live here too, so history and live mode cannot drift.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache

from bankchat.sandbox.catalog import FIRST_NAMES, HOME_CITIES, LAST_NAMES, MERCHANTS, City, Merchant
from bankchat.sandbox.model import (
    Account,
    Bank,
    BookingStatus,
    Card,
    Category,
    Customer,
    FraudPattern,
    Transaction,
)
from bankchat.sandbox.world import World

# ISO 20022 bank transaction codes (domain-family-subfamily).
CODE_CARD = "PMNT-CCRD-POSD"
CODE_ATM = "PMNT-CCRD-CWDL"
CODE_SALARY = "PMNT-RCDT-SALA"
CODE_OWN_OUT = "PMNT-ICDT-BOOK"
CODE_OWN_IN = "PMNT-RCDT-BOOK"
CODE_TRANSFER_OUT = {"DE": "PMNT-ICDT-ESCT", "US": "PMNT-ICDT-DMCT"}
CODE_TRANSFER_IN = {"DE": "PMNT-RCDT-ESCT", "US": "PMNT-RCDT-DMCT"}
CODE_STANDING_ORDER = "PMNT-ICDT-STDO"
CODE_DIRECT_DEBIT = {"DE": "PMNT-IDDT-ESDD", "US": "PMNT-IDDT-PMDD"}

# How many regular places of each in-person category a customer has near home.
REGULAR_PLACES = {
    Category.GROCERIES: 3,
    Category.RESTAURANTS: 4,
    Category.TRANSPORT: 2,
    Category.SHOPPING: 3,
    Category.ENTERTAINMENT: 2,
    Category.HEALTH: 2,
}
BRANCHES_PER_CITY = 2


def money(cents: int) -> Decimal:
    """``cents`` as an amount with two decimal places."""
    return Decimal(cents).scaleb(-2)


def cents_between(rng: random.Random, low: int, high: int) -> int:
    """A random amount in [low, high], skewed towards the low end like real spending."""
    return min(rng.randint(low, high), rng.randint(low, high))


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (clamped to the month's length)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def month_label(day: date, language: str) -> str:
    """The month of ``day`` as statements name it: "11/2026" in German, "Nov 2026" otherwise."""
    return f"{day.month:02d}/{day.year}" if language == "de" else f"{day:%b %Y}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Place:
    """Where a card is used: a merchant's branch in a city, or its web shop."""

    merchant: Merchant
    city: City | None
    country: str
    terminal_id: str
    latitude: float | None
    longitude: float | None


@cache
def store_place(merchant: Merchant, city: City, branch: int) -> Place:
    """A merchant's branch: the same merchant, city and branch always get the same terminal
    and coordinates (a small offset from the city centre)."""
    digest = _digest(f"store|{merchant.name}|{city.country}|{city.name}|{branch}")
    latitude = city.latitude + (int(digest[10:14], 16) / 0xFFFF - 0.5) * 0.08
    longitude = city.longitude + (int(digest[14:18], 16) / 0xFFFF - 0.5) * 0.12
    return Place(
        merchant,
        city,
        city.country,
        "T" + digest[:9].upper(),
        round(latitude, 5),
        round(longitude, 5),
    )


@cache
def online_place(merchant: Merchant, country: str) -> Place:
    """A merchant's web shop: one e-commerce terminal per merchant and country."""
    digest = _digest(f"online|{merchant.name}|{country}")
    return Place(merchant, None, country, "E" + digest[:9].upper(), None, None)


def place_of(merchant: Merchant, city: City, branch: int) -> Place:
    """Where a purchase from ``merchant`` happens for someone in ``city``."""
    if merchant.online:
        return online_place(merchant, city.country)
    return store_place(merchant, city, branch)


def home_city(country: str, town: str) -> City:
    """The catalogue city named ``town`` (the first city of the country if unknown)."""
    cities = HOME_CITIES[country]
    return next((city for city in cities if city.name == town), cities[0])


def regular_places(rng: random.Random, country: str, home: City) -> dict[Category, list[Place]]:
    """The shops, restaurants and services a customer keeps going back to."""
    regulars: dict[Category, list[Place]] = {}
    for category, count in REGULAR_PLACES.items():
        merchants = MERCHANTS[country][category]
        stores = [
            store_place(m, home, branch)
            for m in merchants
            if not m.online
            for branch in range(BRANCHES_PER_CITY)
        ]
        online = [online_place(m, country) for m in merchants if m.online]
        regulars[category] = rng.sample(stores, min(count, len(stores))) + online
    return regulars


def luhn_complete(digits: str) -> str:
    """``digits`` followed by its Luhn check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return digits + str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """Whether ``number`` ends in a correct Luhn check digit."""
    return number.isdigit() and luhn_complete(number[:-1]) == number


def mask_pan(pan: str) -> str:
    """The PAN with all but the first six and last four digits hidden."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


class Ids:
    """Opaque ids and entry references from a seeded generator, so a seed fixes them all."""

    def __init__(self, namespace: str) -> None:
        self._rng = random.Random(f"bankchat-ids:{namespace}")

    def opaque(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"

    def entry_reference(self) -> str:
        return f"{self._rng.getrandbits(80):020X}"


@dataclass(slots=True)
class Profile:
    """One customer as a spender: accounts, cards, home town and regular places."""

    customer: Customer
    bank: Bank
    home: City
    checking: Account
    debit_card: Card | None = None
    savings: Account | None = None
    card_account: Account | None = None
    credit_card: Card | None = None
    regulars: dict[Category, list[Place]] = field(default_factory=dict)
    spent_cents: int = 0
    purchases: int = 0

    def cards(self) -> list[Card]:
        return [card for card in (self.debit_card, self.credit_card) if card is not None]

    def note_purchase(self, cents: int) -> None:
        self.spent_cents += cents
        self.purchases += 1

    def usual_purchase_cents(self) -> int:
        """The customer's average card purchase so far (a typical one before any)."""
        return self.spent_cents // self.purchases if self.purchases else 3000


def person_name(rng: random.Random, country: str) -> str:
    """A made-up private person's full name, as people in ``country`` are called."""
    return f"{rng.choice(FIRST_NAMES[country])} {rng.choice(LAST_NAMES[country])}"


def atm_withdrawal(rng: random.Random, profile: Profile) -> tuple[Place, int]:
    """An ATM of the customer's own bank in their home town and the cents to withdraw."""
    bank = profile.bank
    label = f"Geldautomat {bank.name}" if bank.language == "de" else f"{bank.name} ATM"
    atm = Merchant(label, Category.CASH, "6011", 0, 0)
    place = store_place(atm, profile.home, rng.randint(0, 2))
    return place, rng.randint(1, 10) * 2000


def amount_outlier(rng: random.Random, country: str, usual_cents: int) -> tuple[Place, int]:
    """Where and how much a card is charged in an amount-outlier fraud: a big-ticket shop or
    travel merchant somewhere in ``country``, ten to twenty times the usual purchase."""
    merchants = [
        merchant
        for category in (Category.SHOPPING, Category.TRAVEL)
        for merchant in MERCHANTS[country][category]
        if merchant.max_cents >= 20000
    ]
    merchant = rng.choice(merchants)
    place = place_of(merchant, rng.choice(HOME_CITIES[country]), rng.randint(0, 1))
    return place, max(usual_cents * rng.randint(10, 20), 25000)


class TransactionMaker:
    """Makes transactions with ids from ``ids`` and times of day from ``rng``."""

    def __init__(self, rng: random.Random, ids: Ids) -> None:
        self.rng = rng
        self.ids = ids

    def make(
        self,
        account: Account,
        amount: Decimal,
        day: date,
        category: Category,
        *,
        pending: bool = False,
        counterparty_name: str | None = None,
        counterparty_iban: str | None = None,
        remittance: str | None = None,
        code: str | None = None,
        place: Place | None = None,
        card: Card | None = None,
        fraud: FraudPattern | None = None,
    ) -> Transaction:
        merchant = place.merchant if place is not None else None
        return Transaction(
            id=self.ids.opaque(),
            account_id=account.id,
            entry_reference=self.ids.entry_reference(),
            amount=amount,
            currency=account.currency,
            status=BookingStatus.PENDING if pending else BookingStatus.BOOKED,
            value_date=day,
            booking_date=None if pending else day,
            category=category,
            transaction_date=day,
            counterparty_name=counterparty_name or (merchant.name if merchant else None),
            counterparty_iban=counterparty_iban,
            merchant=merchant.name if merchant else None,
            remittance=remittance,
            city=place.city.name if place and place.city else None,
            country=place.country if place else None,
            latitude=place.latitude if place else None,
            longitude=place.longitude if place else None,
            mcc=merchant.mcc if merchant else None,
            terminal_id=place.terminal_id if place else None,
            card_id=card.id if card else None,
            bank_transaction_code=code,
            fraud=fraud,
            created_at=datetime.combine(
                day, time(self.rng.randint(7, 21), self.rng.randint(0, 59)), UTC
            ),
        )

    def card_payment(
        self,
        account: Account,
        card: Card,
        place: Place,
        cents: int,
        day: date,
        *,
        pending: bool,
        fraud: FraudPattern | None = None,
        language: str,
    ) -> Transaction:
        """A purchase with ``card`` (``cents`` positive) at ``place``."""
        merchant = place.merchant
        where = place.city.name if place.city else "Online"
        if language == "de":
            remittance = f"Kartenzahlung {merchant.name} {where}"
        else:
            kind = "POS PURCHASE" if place.city else "ONLINE PURCHASE"
            remittance = f"{kind} {merchant.name.upper()} {where.upper()}"
        is_cash = merchant.category is Category.CASH
        return self.make(
            account,
            money(-cents),
            day,
            merchant.category,
            pending=pending,
            remittance=remittance,
            code=CODE_ATM if is_cash else CODE_CARD,
            place=place,
            card=card,
            fraud=fraud,
        )


def transfer_legs(
    maker: TransactionMaker,
    payer: Account,
    payer_name: str,
    payee: Account,
    payee_name: str,
    cents: int,
    day: date,
    *,
    remittance: str,
    own: bool,
    country: str,
) -> tuple[Transaction, Transaction]:
    """The debit and credit side of a transfer of ``cents`` from ``payer`` to ``payee``."""
    debit = maker.make(
        payer,
        money(-cents),
        day,
        Category.OTHER,
        counterparty_name=payee_name,
        counterparty_iban=payee.iban,
        remittance=remittance,
        code=CODE_OWN_OUT if own else CODE_TRANSFER_OUT[country],
    )
    credit = maker.make(
        payee,
        money(cents),
        day,
        Category.OTHER,
        counterparty_name=payer_name,
        counterparty_iban=payer.iban,
        remittance=remittance,
        code=CODE_OWN_IN if own else CODE_TRANSFER_IN[country],
    )
    return debit, credit


def spare_cents(world: World, account: Account) -> int:
    """What the account holds above zero, not counting its overdraft or the funds held for
    its pending debits."""
    ledger = world.ledger_of(account.id)
    return int((ledger.balance(account.id) - ledger.held(account.id)) * 100)


def card_settlement(
    maker: TransactionMaker, world: World, profile: Profile, day: date
) -> tuple[Transaction, Transaction] | None:
    """The transfer paying off the customer's credit card from checking, as far as checking
    can spare; None if there is no card, no debt or nothing to spare."""
    card_account = profile.card_account
    if card_account is None:
        return None
    owed = -int(world.booked_balance(card_account.id) * 100)
    cents = min(owed, spare_cents(world, profile.checking))
    if cents <= 0:
        return None
    language = profile.bank.language
    month = month_label(months_before(day, 1), language)
    text = f"Kreditkartenabrechnung {month}" if language == "de" else f"Credit card payment {month}"
    name = profile.customer.name
    return transfer_legs(
        maker,
        profile.checking,
        name,
        card_account,
        name,
        cents,
        day,
        remittance=text,
        own=True,
        country=profile.bank.country,
    )
