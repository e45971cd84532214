"""Which spending category a transaction belongs to.

In order: the merchant category code (ISO 18245; card payments carry it), the bank
transaction code (ISO 20022 domain-family-subfamily, e.g. salary or cash withdrawal), words
in the counterparty, merchant and remittance text, else ``other``. Incoming money that
nothing else explains is ``income``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from bankchat.assistant.nlu.intents import Category
from bankchat.vault.records import TransactionRecord

# ISO 18245 merchant category codes as inclusive ranges, checked in this order (the
# narrow ranges inside the broad retail block come first).
_MCC_RANGES: Final[tuple[tuple[int, int, Category], ...]] = (
    (3000, 3350, Category.TRAVEL),  # airlines by name
    (3351, 3500, Category.TRAVEL),  # car rental companies by name
    (3501, 3999, Category.TRAVEL),  # hotels and lodging by name
    (4011, 4011, Category.TRANSPORT),  # railroads
    (4111, 4111, Category.TRANSPORT),  # local and suburban commuter transport
    (4112, 4112, Category.TRANSPORT),  # passenger railways
    (4119, 4119, Category.HEALTH),  # ambulance services
    (4121, 4121, Category.TRANSPORT),  # taxis and limousines
    (4131, 4131, Category.TRANSPORT),  # bus lines
    (4411, 4411, Category.TRAVEL),  # cruise lines
    (4457, 4457, Category.ENTERTAINMENT),  # boat rentals
    (4468, 4468, Category.TRANSPORT),  # marinas
    (4511, 4511, Category.TRAVEL),  # airlines and air carriers
    (4582, 4582, Category.TRAVEL),  # airports and terminals
    (4722, 4723, Category.TRAVEL),  # travel agencies, tour operators
    (4784, 4784, Category.TRANSPORT),  # tolls and bridge fees
    (4789, 4789, Category.TRANSPORT),  # transportation services
    (4812, 4816, Category.UTILITIES),  # telecommunication, computer network services
    (4821, 4821, Category.UTILITIES),  # telegraph services
    (4899, 4899, Category.ENTERTAINMENT),  # cable, satellite and pay television
    (4900, 4900, Category.UTILITIES),  # electric, gas, water, sanitary
    (5411, 5411, Category.GROCERIES),  # grocery stores, supermarkets
    (5422, 5499, Category.GROCERIES),  # meat, candy, dairy, bakeries, other food stores
    (5541, 5542, Category.TRANSPORT),  # service stations, automated fuel dispensers
    (5811, 5814, Category.RESTAURANTS),  # caterers, restaurants, bars, fast food
    (5815, 5818, Category.ENTERTAINMENT),  # digital goods: media, games, applications
    (5912, 5912, Category.HEALTH),  # drug stores and pharmacies
    (5975, 5976, Category.HEALTH),  # hearing aids, orthopedic goods
    (5200, 5999, Category.SHOPPING),  # the rest of retail
    (6010, 6011, Category.CASH),  # cash at a counter or from a machine
    (6513, 6513, Category.RENT),  # real estate agents and managers (rentals)
    (7011, 7011, Category.TRAVEL),  # hotels, motels, resorts
    (7012, 7012, Category.TRAVEL),  # timeshares
    (7032, 7033, Category.TRAVEL),  # camps, trailer parks
    (7512, 7519, Category.TRAVEL),  # car, truck and recreational vehicle rental
    (7523, 7523, Category.TRANSPORT),  # parking lots and garages
    (7531, 7549, Category.TRANSPORT),  # car repair, wash and towing
    (7829, 7999, Category.ENTERTAINMENT),  # films, theatre, sports, recreation
    (8011, 8099, Category.HEALTH),  # doctors, dentists, hospitals, health practitioners
)

# ISO 20022 bank transaction codes: (domain, family, subfamily) with None as any.
_CODES: Final[tuple[tuple[str | None, str | None, str | None, Category], ...]] = (
    ("PMNT", None, "SALA", Category.INCOME),  # salary
    ("PMNT", None, "PENS", Category.INCOME),  # pension
    ("PMNT", "CCRD", "CWDL", Category.CASH),  # cash withdrawal by card
    ("PMNT", "DCRD", "CWDL", Category.CASH),
    ("PMNT", "MCRD", "CWDL", Category.CASH),
    ("PMNT", "CNTR", "CWDL", Category.CASH),  # at the counter
    ("PMNT", "CNTR", "CDPT", Category.INCOME),  # cash deposit
)

# Whole words in names and texts (lower case), checked in order: what a text says it is,
# then well-known chains (a card payment booked on a current account carries no code).
_HINTS: Final[tuple[tuple[Category, tuple[str, ...]], ...]] = tuple(
    (category, tuple(words.split()))
    for category, words in (
        (Category.INCOME, "gehalt lohn salary payroll wages rente pension"),
        (Category.RENT, "miete rent kaltmiete warmmiete hausverwaltung landlord"),
        (Category.CASH, "atm geldautomat bargeld auszahlung"),
        (
            Category.UTILITIES,
            "strom stadtwerke gas wasser electric power water internet telekom vodafone "
            "mobilfunk wireless verizon comcast",
        ),
        (
            Category.GROCERIES,
            "supermarkt supermarket lebensmittel grocery groceries bäckerei rewe edeka aldi "
            "lidl kaufland netto penny walmart kroger safeway costco",
        ),
        (
            Category.RESTAURANTS,
            "restaurant café cafe pizza pizzeria imbiss diner bistro gasthaus trattoria "
            "starbucks lieferando",
        ),
        (
            Category.TRANSPORT,
            "tankstelle taxi fahrkarte transit parking parkhaus aral shell esso uber lyft bahn",
        ),
        (Category.HEALTH, "apotheke pharmacy arzt zahnarzt doctor dental"),
        (Category.ENTERTAINMENT, "kino cinema theater theatre netflix spotify steam"),
        (Category.TRAVEL, "hotel lufthansa airbnb booking.com flixbus"),
        (Category.SHOPPING, "amazon zalando ikea mediamarkt saturn otto ebay etsy target"),
    )
)
_HINT_PATTERNS: Final = tuple(
    (category, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"))
    for category, words in _HINTS
)


def category_of_mcc(mcc: str | None) -> Category | None:
    """The category of a merchant category code, None if unknown or malformed."""
    if mcc is None or not (len(mcc) == 4 and mcc.isdigit()):
        return None
    code = int(mcc)
    for low, high, category in _MCC_RANGES:
        if low <= code <= high:
            return category
    return None


def category_of_code(code: str | None) -> Category | None:
    """The category an ISO 20022 bank transaction code implies, if any."""
    if not code:
        return None
    parts = code.upper().split("-")
    if len(parts) != 3:
        return None
    for domain, family, subfamily, category in _CODES:
        if (
            (domain is None or parts[0] == domain)
            and (family is None or parts[1] == family)
            and (subfamily is None or parts[2] == subfamily)
        ):
            return category
    return None


def category_of_words(texts: Iterable[str | None]) -> Category | None:
    """The category named by words in names and texts, if any."""
    joined = " ".join(t for t in texts if t).casefold()
    if not joined:
        return None
    for category, pattern in _HINT_PATTERNS:
        if pattern.search(joined):
            return category
    return None


def categorise(record: TransactionRecord) -> Category:
    """The spending category of one transaction."""
    found = (
        category_of_mcc(record.mcc)
        or category_of_code(record.bank_transaction_code)
        or category_of_words((record.counterparty_name, record.merchant, record.remittance))
    )
    if found is not None:
        # A refund from a shop stays a refund from a shop; only money coming in that
        # nothing explains counts as income below.
        return found
    return Category.INCOME if record.amount > 0 else Category.OTHER
