"""A small hand-built sandbox world for tests that need exact, known numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bankchat.sandbox.iban import german_iban
from bankchat.sandbox.model import (
    Account,
    AccountKind,
    Address,
    Bank,
    BookingStatus,
    Card,
    Category,
    Customer,
    Transaction,
)
from bankchat.sandbox.world import World

TODAY = date(2026, 11, 20)

BANKS = (
    Bank(
        "nordbank",
        "Nordbank Test",
        "DE",
        "EUR",
        "NORDDEFFXXX",
        "20050550",
        "de",
        "#00bb55",
        "#ffffff",
    ),
    Bank(
        "suedbank",
        "Südbank Test",
        "DE",
        "EUR",
        "SUEDDEMMXXX",
        "70050000",
        "de",
        "#bb0055",
        "#ffffff",
    ),
    Bank(
        "lakebank",
        "Lake Bank Test",
        "US",
        "USD",
        "LAKEUS33XXX",
        "021000089",
        "en",
        "#0055bb",
        "#ffffff",
    ),
)


def small_world(today: date = TODAY) -> World:
    """Three banks; per bank two customers with checking (+ savings and card at the first)."""
    world = World(
        clock=lambda: datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12)
    )
    for bank in BANKS:
        world.add_bank(bank)
        for n in (1, 2):
            cid = f"{bank.id}-c{n}"
            world.add_customer(
                Customer(
                    cid,
                    bank.id,
                    f"{bank.id}{n}",
                    f"pass-{bank.id}-{n}",
                    "Test",
                    f"Person{n}",
                    Address("Hauptstr.", str(n), "10115", "Berlin", bank.country),
                    bank.language,
                )
            )
            number = 1000 + n
            checking = Account(
                f"{cid}-chk",
                bank.id,
                cid,
                AccountKind.CHECKING,
                bank.currency,
                "Girokonto",
                "Main account",
                iban=german_iban(bank.bank_code, number) if bank.country == "DE" else None,
                bban=None if bank.country == "DE" else f"{bank.bank_code}{number:08d}",
                credit_limit=Decimal("500.00"),
            )
            world.add_account(checking)
            world.record(
                _tx(
                    checking,
                    "income-0",
                    Decimal("2500.00"),
                    today - timedelta(days=20),
                    Category.INCOME,
                    "Employer GmbH",
                ),
                notify=False,
            )
            world.record(
                _tx(
                    checking,
                    "groc-0",
                    Decimal("-42.10"),
                    today - timedelta(days=3),
                    Category.GROCERIES,
                    "Markt 24",
                ),
                notify=False,
            )
            world.record(
                _tx(
                    checking,
                    "groc-1",
                    Decimal("-12.50"),
                    today,
                    Category.GROCERIES,
                    "Markt 24",
                    status=BookingStatus.PENDING,
                ),
                notify=False,
            )
            if n == 1:
                savings = Account(
                    f"{cid}-sav",
                    bank.id,
                    cid,
                    AccountKind.SAVINGS,
                    bank.currency,
                    "Tagesgeld",
                    "Savings",
                    iban=german_iban(bank.bank_code, 5000 + n) if bank.country == "DE" else None,
                    bban=None if bank.country == "DE" else f"{bank.bank_code}{5000 + n:08d}",
                )
                world.add_account(savings)
                world.record(
                    _tx(
                        savings,
                        "dep-0",
                        Decimal("10000.00"),
                        today - timedelta(days=90),
                        Category.INCOME,
                        "Transfer",
                    ),
                    notify=False,
                )
                card_account = Account(
                    f"{cid}-card",
                    bank.id,
                    cid,
                    AccountKind.CREDIT_CARD,
                    bank.currency,
                    "Credit Card",
                    "Card",
                    masked_pan="4111********1111",
                    credit_limit=Decimal("2000"),
                )
                world.add_account(card_account)
                world.add_card(
                    Card(
                        f"{cid}-cardid",
                        card_account.id,
                        "4111111111111111",
                        "4111********1111",
                        date(2029, 12, 31),
                    )
                )
                world.record(
                    _tx(
                        card_account,
                        "rest-0",
                        Decimal("-35.00"),
                        today - timedelta(days=2),
                        Category.RESTAURANTS,
                        "Trattoria Test",
                    ),
                    notify=False,
                )
    return world


def _tx(
    account: Account,
    suffix: str,
    amount: Decimal,
    day: date,
    category: Category,
    merchant: str,
    status: BookingStatus = BookingStatus.BOOKED,
) -> Transaction:
    return Transaction(
        id=f"{account.id}-{suffix}",
        account_id=account.id,
        entry_reference=f"ref-{account.id}-{suffix}",
        amount=amount,
        currency=account.currency,
        status=status,
        value_date=day,
        booking_date=day if status is BookingStatus.BOOKED else None,
        category=category,
        counterparty_name=merchant,
        merchant=merchant,
    )
