"""The seeded sandbox world: fictional banks, customers with logins, accounts and cards, and
months of everyday transactions with a small share of labelled fraud.

The same seed and ``today`` always give the identical world, ids included. Transactions
are simulated day by day in order through the ledger, so every balance respects its
account's floor: a debit the ledger refuses is dropped like a declined card.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from bankchat.sandbox import partner
from bankchat.sandbox.activity import (
    CODE_DIRECT_DEBIT,
    CODE_SALARY,
    CODE_STANDING_ORDER,
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
    luhn_complete,
    mask_pan,
    money,
    month_label,
    months_before,
    online_place,
    person_name,
    regular_places,
    spare_cents,
    store_place,
    transfer_legs,
)
from bankchat.sandbox.banks import SANDBOX_BANKS
from bankchat.sandbox.catalog import (
    ABROAD,
    BILLS,
    EMPLOYERS,
    EXTERNAL_BANK_CODES,
    FIRST_NAMES,
    FRIEND_NOTES,
    HOME_CITIES,
    LANDLORDS,
    LAST_NAMES,
    MERCHANTS,
    PASSWORD_WORDS,
    STREETS,
    SUBSCRIPTIONS,
    TRAVEL_PLACES,
    City,
    Merchant,
    Payee,
)
from bankchat.sandbox.iban import german_iban
from bankchat.sandbox.ledger import InsufficientFunds
from bankchat.sandbox.model import (
    Account,
    AccountKind,
    Address,
    Bank,
    Card,
    Category,
    Customer,
    FraudPattern,
    Transaction,
)
from bankchat.sandbox.world import World

PENDING_DAYS = 4  # card payments of the last days are still pending ...
BOOKING_DELAY = 2  # ... and book this many days after the purchase
OUTLIER_RATE = 0.003  # chance per card payment of an extra amount-outlier fraud
COMPROMISED_CARD_SHARE = 0.4  # share of a compromised card's payments that are fraud
COMPROMISED_CARD_DAYS = 14
# The bank learns of a skimmer from its customers' disputes, some days after it is gone.
TERMINAL_DISCOVERY_DAYS = 3

# Chance per day of an unplanned card payment in each category (at home, not on a trip).
DAILY_SPEND = (
    (Category.GROCERIES, 0.45),
    (Category.RESTAURANTS, 0.18),
    (Category.TRANSPORT, 0.3),
    (Category.SHOPPING, 0.12),
    (Category.ENTERTAINMENT, 0.05),
    (Category.HEALTH, 0.04),
)
SUNDAY = 6
CLOSED_ON_SUNDAY = (Category.GROCERIES, Category.SHOPPING)


def _ascii(text: str) -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    return text


@dataclass(slots=True)
class _Counterparty:
    name: str
    iban: str | None
    account: Account | None = None  # a sandbox account at the same bank


@dataclass(slots=True)
class _Recurring:
    """A monthly payment: ``day`` of the month, amount range in cents."""

    day: int
    payee: _Counterparty
    min_cents: int
    max_cents: int
    category: Category
    remittance: str


@dataclass(slots=True)
class _Subscription:
    day: int
    merchant: Merchant
    cents: int


@dataclass(slots=True)
class _Plan:
    """Everything that happens to one customer on a schedule."""

    profile: Profile
    pay_day: int
    salary_cents: int
    employer: _Counterparty
    rent: _Recurring
    bills: list[_Recurring]
    subscriptions: list[_Subscription]
    savings_day: int
    savings_cents: int
    cushion_cents: int
    settle_day: int
    spend_percent: int
    friends: list[_Counterparty] = field(default_factory=list)
    trip_city: dict[date, City] = field(default_factory=dict)
    trip_last_days: set[date] = field(default_factory=set)
    trip_bookings: dict[date, Merchant] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Window:
    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


class _Simulation:
    """Builds the customers of every bank, then lives through their days."""

    def __init__(self, world: World, seed: int, today: date, months: int) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.maker = TransactionMaker(self.rng, Ids(f"world:{seed}"))
        self.ids = self.maker.ids
        self.today = today
        self.start = months_before(today, months) + timedelta(days=1)
        self.plans: list[_Plan] = []
        self.pending_due: dict[date, list[str]] = {}
        self.compromised_terminals: dict[str, list[_Window]] = {}
        self.compromised_cards: dict[str, list[_Window]] = {}
        self.terminal_discoveries: dict[date, list[str]] = {}
        self.skimmed_terminals: set[str] = set()

    # -- set-up ---------------------------------------------------------------------

    def populate(self, customers_per_bank: int) -> None:
        for bank in SANDBOX_BANKS:
            self.world.add_bank(bank)
            cities = list(HOME_CITIES[bank.country])
            self.rng.shuffle(cities)
            region = cities[:3]  # a regional bank: its customers live in a few towns
            logins: set[str] = set()
            plans = [
                self._new_customer(bank, self.rng.choice(region), logins)
                for _ in range(customers_per_bank)
            ]
            for plan in plans:
                plan.friends = self._friends(plan, plans)
            self._plan_fraud(plans)
            self.plans.extend(plans)

    def _new_customer(self, bank: Bank, home: City, logins: set[str]) -> _Plan:
        rng, country = self.rng, bank.country
        first, last = rng.choice(FIRST_NAMES[country]), rng.choice(LAST_NAMES[country])
        base = _ascii(f"{first}.{last}".lower())
        login, n = base, 1
        while login in logins:
            n += 1
            login = f"{base}{n}"
        logins.add(login)
        words = PASSWORD_WORDS[country]
        first_word, second_word = rng.sample(words, 2)
        password = f"{first_word}-{second_word}-{rng.randint(10, 99)}"
        address = Address(
            rng.choice(STREETS[country]),
            str(rng.randint(1, 140)),
            home.postcode,
            home.name,
            country,
        )
        customer = Customer(
            self.ids.opaque(), bank.id, login, password, first, last, address, bank.language
        )
        self.world.add_customer(customer)
        german = bank.language == "de"
        checking = self._open_account(
            bank,
            customer,
            AccountKind.CHECKING,
            "Girokonto" if german else "Everyday Checking",
            "Privatgirokonto" if german else "Checking",
            money(rng.choice((500, 1000, 1500, 2000) if german else (250, 500)) * 100),
        )
        profile = Profile(customer, bank, home, checking)
        profile.debit_card = self._issue_card(bank, checking, debit=True)
        if rng.random() < 0.8:
            profile.savings = self._open_account(
                bank,
                customer,
                AccountKind.SAVINGS,
                "Tagesgeld" if german else "High Yield Savings",
                "Tagesgeldkonto" if german else "Savings",
                Decimal("0"),
            )
        if rng.random() < 0.75:
            card_account = self._open_account(
                bank,
                customer,
                AccountKind.CREDIT_CARD,
                "Kreditkarte" if german else "Cashback Credit Card",
                "Kreditkarte" if german else "Credit Card",
                money(rng.choice((1500, 2500, 4000, 6000)) * 100),
                card=True,
            )
            profile.card_account = card_account
            profile.credit_card = self._issue_card(bank, card_account, debit=False)
            card_account.masked_pan = profile.credit_card.masked_pan
        profile.regulars = regular_places(rng, country, home)
        return self._schedule(profile)

    def _open_account(
        self,
        bank: Bank,
        customer: Customer,
        kind: AccountKind,
        product: str,
        name: str,
        credit_limit: Decimal,
        *,
        card: bool = False,
    ) -> Account:
        account = Account(
            id=self.ids.opaque(),
            bank_id=bank.id,
            customer_id=customer.id,
            kind=kind,
            currency=bank.currency,
            product=product,
            name=name,
            credit_limit=credit_limit,
            opened=self.start - timedelta(days=self.rng.randint(30, 2500)),
        )
        if not card:
            while True:
                number = self.rng.randint(10**8, 10**10 - 1)
                if bank.country == "DE":
                    account.iban = german_iban(bank.bank_code, number)
                    taken = account.iban in self.world.accounts_by_iban
                else:
                    account.bban = f"{bank.bank_code}{number:010d}"
                    taken = account.bban in self.world.accounts_by_bban
                if not taken:
                    break
        self.world.add_account(account)
        return account

    def _issue_card(self, bank: Bank, account: Account, *, debit: bool) -> Card:
        # Debit cards in a Visa-like range, credit cards in a Mastercard-like one.
        digits = bank.bank_code
        iin = "4" + digits[:5] if debit else f"5{1 + int(digits[-1]) % 5}{digits[-4:]}"
        pan = luhn_complete(iin + "".join(str(self.rng.randint(0, 9)) for _ in range(9)))
        expiry_month = months_before(self.today, -self.rng.randint(12, 48))
        expiry = months_before(expiry_month.replace(day=1), -1) - timedelta(days=1)
        card = Card(self.ids.opaque(), account.id, pan, mask_pan(pan), expiry)
        self.world.add_card(card)
        return card

    def _company(self, name: str, country: str) -> _Counterparty:
        if country != "DE":
            return _Counterparty(name, None)
        number = self.rng.randint(10**8, 10**10 - 1)
        return _Counterparty(name, german_iban(self.rng.choice(EXTERNAL_BANK_CODES), number))

    def _schedule(self, profile: Profile) -> _Plan:
        rng, country, language = self.rng, profile.bank.country, profile.bank.language
        german = language == "de"
        rent_cents = rng.randint(65, 140) * 1000 if german else rng.randint(140, 260) * 1000
        margin = rng.randint(220, 330) if german else rng.randint(350, 550)
        salary_cents = rent_cents + margin * 1000
        landlord = self._company(rng.choice(LANDLORDS[country]), country)
        rent = _Recurring(
            rng.randint(1, 3),
            landlord,
            rent_cents,
            rent_cents,
            Category.RENT,
            "Miete" if german else "Rent",
        )
        bills = [
            _Recurring(
                rng.randint(2, 27),
                self._company(self._bill_name(payee, profile.home), country),
                payee.min_cents,
                payee.max_cents,
                payee.category,
                payee.name,
            )
            for payee in rng.sample(BILLS[country], rng.randint(2, len(BILLS[country])))
        ]
        subscriptions = [
            _Subscription(rng.randint(1, 28), merchant, cents)
            for merchant, cents in rng.sample(SUBSCRIPTIONS[country], rng.randint(1, 4))
        ]
        pay_day = rng.choice((1, 15, 25, 27, 28) if german else (1, 5, 15, 20))
        plan = _Plan(
            profile=profile,
            pay_day=pay_day,
            salary_cents=salary_cents,
            employer=self._company(rng.choice(EMPLOYERS[country]), country),
            rent=rent,
            bills=bills,
            subscriptions=subscriptions,
            savings_day=min(pay_day + 1, 28),
            savings_cents=rng.randint(1, 8) * 5000,
            cushion_cents=rng.randint(15, 40) * 10000,
            settle_day=rng.randint(5, 12),
            spend_percent=rng.randint(80, 125),
        )
        self._plan_trips(plan)
        return plan

    @staticmethod
    def _bill_name(payee: Payee, home: City) -> str:
        return f"{payee.name} {home.name}" if payee.name.startswith("Stadtwerke") else payee.name

    def _plan_trips(self, plan: _Plan) -> None:
        rng, country = self.rng, plan.profile.bank.country
        day = self.start + timedelta(days=rng.randint(20, 120))
        destinations = [c for c in HOME_CITIES[country] if c != plan.profile.home]
        destinations += ABROAD[country]
        travel_merchants = MERCHANTS[country][Category.TRAVEL]
        while day < self.today:
            length = rng.randint(3, 10)
            city = rng.choice(destinations)
            for offset in range(length):
                plan.trip_city[day + timedelta(days=offset)] = city
            plan.trip_last_days.add(day + timedelta(days=length - 1))
            booked = day - timedelta(days=rng.randint(10, 60))
            plan.trip_bookings[max(booked, self.start)] = rng.choice(travel_merchants)
            day += timedelta(days=rng.randint(90, 200))

    def _friends(self, plan: _Plan, plans: list[_Plan]) -> list[_Counterparty]:
        rng, profile = self.rng, plan.profile
        country = profile.bank.country
        others = [p.profile for p in plans if p is not plan]
        friends: list[_Counterparty] = []
        for _ in range(3):
            if others and rng.random() < 0.5:
                friend = rng.choice(others)
                friends.append(
                    _Counterparty(friend.customer.name, friend.checking.iban, friend.checking)
                )
            else:
                friends.append(self._company(person_name(rng, country), country))
        return friends

    def _plan_fraud(self, plans: list[_Plan]) -> None:
        """Choose the terminals and cards of this bank that will be compromised, and when."""
        if not plans:
            return
        span = (self.today - self.start).days
        incidents = max(1, span // 120)
        popular: dict[str, int] = {}
        for plan in plans:
            for place in plan.profile.regulars[Category.GROCERIES]:
                if place.city is not None:
                    popular[place.terminal_id] = popular.get(place.terminal_id, 0) + 1
        # Skimmers go where the most cards pass: favour terminals many customers share.
        terminals = sorted(popular)
        weights = [popular[t] ** 2 for t in terminals]
        for _ in range(incidents):
            terminal = self.rng.choices(terminals, weights)[0]
            window = self._window(self.rng.randint(10, 21))
            self.compromised_terminals.setdefault(terminal, []).append(window)
            discovery = window.last + timedelta(days=TERMINAL_DISCOVERY_DAYS)
            self.terminal_discoveries.setdefault(discovery, []).append(terminal)
        for _ in range(max(1, span // 270)):
            profile = self.rng.choice(plans).profile
            card = profile.credit_card or profile.debit_card
            assert card is not None
            self.compromised_cards.setdefault(card.id, []).append(
                self._window(COMPROMISED_CARD_DAYS)
            )

    def _window(self, days: int) -> _Window:
        span = (self.today - self.start).days
        latest = max(0, span - days)
        first = self.start + timedelta(days=self.rng.randint(min(14, latest), latest))
        return _Window(first, first + timedelta(days=days - 1))

    # -- simulation -------------------------------------------------------------------

    def run(self) -> None:
        for plan in self.plans:
            self._opening_balances(plan)
        day = self.start
        while day <= self.today:
            self._discover_skimmers(day)
            for tx_id in self.pending_due.pop(day, []):
                self.world.book(tx_id, day)
            for plan in self.plans:
                self._live_day(plan, day)
            day += timedelta(days=1)

    def _discover_skimmers(self, day: date) -> None:
        """Tell the bank of terminals whose skimming ended a few days ago, if it cost any
        customer money: only then are there disputes to learn it from. Marking them any
        earlier would make the bank's rule an oracle of the fraud label."""
        for terminal in self.terminal_discoveries.pop(day, []):
            if terminal in self.skimmed_terminals:
                partner.mark_terminal_compromised(self.world, terminal)

    def _record(self, tx: Transaction) -> bool:
        try:
            self.world.record(tx, notify=False)
        except InsufficientFunds:
            return False
        return True

    def _opening_balances(self, plan: _Plan) -> None:
        profile = plan.profile
        german = profile.bank.language == "de"
        remittance = "Kontoumzug Startguthaben" if german else "Account opening deposit"
        name = profile.customer.name
        self._record(
            self.maker.make(
                profile.checking,
                money(self.rng.randint(8, 40) * 10000),
                self.start,
                Category.OTHER,
                counterparty_name=name,
                remittance=remittance,
                code=CODE_TRANSFER_IN[profile.bank.country],
            )
        )
        if profile.savings is not None:
            self._record(
                self.maker.make(
                    profile.savings,
                    money(self.rng.randint(10, 200) * 10000),
                    self.start,
                    Category.OTHER,
                    counterparty_name=name,
                    remittance=remittance,
                    code=CODE_TRANSFER_IN[profile.bank.country],
                )
            )

    def _live_day(self, plan: _Plan, day: date) -> None:
        self._scheduled(plan, day)
        trip_city = plan.trip_city.get(day)
        if trip_city is not None:
            self._travel_day(plan, day, trip_city)
            return
        rng, profile = self.rng, plan.profile
        german = profile.bank.language == "de"
        for category, chance in DAILY_SPEND:
            if category is Category.RESTAURANTS and day.weekday() >= 4:
                chance *= 1.8
            if rng.random() >= chance:
                continue
            places = profile.regulars[category]
            if german and day.weekday() == SUNDAY and category in CLOSED_ON_SUNDAY:
                # German shops are closed on Sundays; only web shops take orders.
                places = [p for p in places if p.city is None]
                if not places:
                    continue
            self._card_payment(plan, day, rng.choice(places))
        if rng.random() < 0.07:
            self._cash(plan, day)
        if rng.random() < 0.045:
            self._pay_friend(plan, day)
        if rng.random() < 0.02:
            self._paid_by_friend(plan, day)

    def _scheduled(self, plan: _Plan, day: date) -> None:
        profile = plan.profile
        dom = day.day
        if dom == plan.pay_day:
            self._salary(plan, day)
        if dom == plan.rent.day:
            self._top_up_from_savings(plan, day, plan.rent.max_cents)
            self._direct_debit(plan, plan.rent, day, standing_order=True)
        for bill in plan.bills:
            if dom == bill.day:
                self._direct_debit(plan, bill, day, standing_order=False)
        for subscription in plan.subscriptions:
            if dom == subscription.day:
                place = online_place(subscription.merchant, profile.bank.country)
                self._card_payment(plan, day, place, subscription.cents)
        if dom == plan.savings_day:
            self._save(plan, day)
        if dom == 20:
            self._top_up_from_savings(plan, day, 0)
        if dom == plan.settle_day:
            self._settle_card(plan, day)
        merchant = plan.trip_bookings.get(day)
        if merchant is not None:
            self._card_payment(plan, day, online_place(merchant, profile.bank.country))

    def _travel_day(self, plan: _Plan, day: date, city: City) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            merchant = rng.choice(TRAVEL_PLACES[Category.RESTAURANTS])
            self._card_payment(plan, day, store_place(merchant, city, rng.randint(0, 1)))
        if rng.random() < 0.6:
            merchant = rng.choice(TRAVEL_PLACES[Category.TRANSPORT])
            self._card_payment(plan, day, store_place(merchant, city, 0))
        if day in plan.trip_last_days:
            merchant = rng.choice(TRAVEL_PLACES[Category.TRAVEL])
            self._card_payment(plan, day, store_place(merchant, city, 0))

    # -- kinds of transactions ----------------------------------------------------------

    def _card_payment(
        self, plan: _Plan, day: date, place: Place, fixed_cents: int | None = None
    ) -> None:
        rng, profile = self.rng, plan.profile
        card = self._choose_card(profile, place)
        if fixed_cents is not None:
            cents = fixed_cents
        else:
            low, high = place.merchant.min_cents, place.merchant.max_cents
            cents = cents_between(rng, low, high) * plan.spend_percent // 100
        fraud: FraudPattern | None = None
        if any(day in w for w in self.compromised_terminals.get(place.terminal_id, ())):
            fraud = FraudPattern.COMPROMISED_TERMINAL
        elif (
            any(day in w for w in self.compromised_cards.get(card.id, ()))
            and rng.random() < COMPROMISED_CARD_SHARE
        ):
            cents *= rng.randint(3, 8)
            fraud = FraudPattern.COMPROMISED_CARD
        self._post_card(plan, card, place, cents, day, fraud)
        if fraud is None:
            profile.note_purchase(cents)
            if rng.random() < OUTLIER_RATE:
                self._amount_outlier(plan, day)

    def _choose_card(self, profile: Profile, place: Place) -> Card:
        credit, debit = profile.credit_card, profile.debit_card
        if credit is not None and (place.city is None or self.rng.random() < 0.4):
            return credit
        assert debit is not None
        return debit

    def _post_card(
        self,
        plan: _Plan,
        card: Card,
        place: Place,
        cents: int,
        day: date,
        fraud: FraudPattern | None,
    ) -> None:
        profile = plan.profile
        account = self.world.accounts[card.account_id]
        pending = (self.today - day).days < PENDING_DAYS
        tx = self.maker.card_payment(
            account,
            card,
            place,
            cents,
            day,
            pending=pending,
            fraud=fraud,
            language=profile.bank.language,
        )
        if not self._record(tx):
            return
        if fraud is FraudPattern.COMPROMISED_TERMINAL:
            self.skimmed_terminals.add(place.terminal_id)
        if pending:
            due = day + timedelta(days=BOOKING_DELAY)
            if due <= self.today:
                self.pending_due.setdefault(due, []).append(tx.id)

    def _amount_outlier(self, plan: _Plan, day: date) -> None:
        profile = plan.profile
        place, cents = amount_outlier(
            self.rng, profile.bank.country, profile.usual_purchase_cents()
        )
        card = profile.credit_card or profile.debit_card
        assert card is not None
        self._post_card(plan, card, place, cents, day, FraudPattern.AMOUNT_OUTLIER)

    def _cash(self, plan: _Plan, day: date) -> None:
        profile = plan.profile
        if profile.debit_card is None:
            return
        place, cents = atm_withdrawal(self.rng, profile)
        fraud = None
        if any(day in w for w in self.compromised_terminals.get(place.terminal_id, ())):
            fraud = FraudPattern.COMPROMISED_TERMINAL
        self._post_card(plan, profile.debit_card, place, cents, day, fraud)

    def _salary(self, plan: _Plan, day: date) -> None:
        profile = plan.profile
        cents = plan.salary_cents
        if day.month == 12 or (day.month == 6 and profile.bank.country == "DE"):
            cents += plan.salary_cents // 2  # bonus / Weihnachtsgeld / Urlaubsgeld
        german = profile.bank.language == "de"
        remittance = (
            f"Lohn/Gehalt {month_label(day, 'de')}"
            if german
            else f"PAYROLL {plan.employer.name.upper()} {month_label(day, 'en').upper()}"
        )
        self._record(
            self.maker.make(
                profile.checking,
                money(cents),
                day,
                Category.INCOME,
                counterparty_name=plan.employer.name,
                counterparty_iban=plan.employer.iban,
                remittance=remittance,
                code=CODE_SALARY,
            )
        )

    def _direct_debit(
        self, plan: _Plan, recurring: _Recurring, day: date, *, standing_order: bool
    ) -> None:
        profile = plan.profile
        country, language = profile.bank.country, profile.bank.language
        cents = cents_between(self.rng, recurring.min_cents, recurring.max_cents)
        self._record(
            self.maker.make(
                profile.checking,
                money(-cents),
                day,
                recurring.category,
                counterparty_name=recurring.payee.name,
                counterparty_iban=recurring.payee.iban,
                remittance=f"{recurring.remittance} {month_label(day, language)}",
                code=CODE_STANDING_ORDER if standing_order else CODE_DIRECT_DEBIT[country],
            )
        )

    def _own_transfer(
        self, plan: _Plan, payer: Account, payee: Account, cents: int, day: date, text: str
    ) -> None:
        name = plan.profile.customer.name
        debit, credit = transfer_legs(
            self.maker,
            payer,
            name,
            payee,
            name,
            cents,
            day,
            remittance=text,
            own=True,
            country=plan.profile.bank.country,
        )
        self._transfer(debit, credit)

    def _transfer(self, debit: Transaction, credit: Transaction) -> None:
        try:
            self.world.record_transfer(debit, credit)
        except InsufficientFunds:
            return  # declined, like a card without funds

    def _save(self, plan: _Plan, day: date) -> None:
        profile = plan.profile
        if profile.savings is None:
            return
        # The monthly savings rate plus whatever piled up above the customer's cushion.
        spare = spare_cents(self.world, profile.checking)
        cents = plan.savings_cents + max(0, spare - plan.cushion_cents) // 5000 * 5000
        if spare - cents < 20000:
            return
        german = profile.bank.language == "de"
        self._own_transfer(
            plan,
            profile.checking,
            profile.savings,
            cents,
            day,
            "Sparrate" if german else "Transfer to savings",
        )

    def _top_up_from_savings(self, plan: _Plan, day: date, need_cents: int) -> None:
        """Move money from savings when checking cannot cover ``need_cents`` by itself."""
        profile = plan.profile
        shortfall = need_cents - spare_cents(self.world, profile.checking)
        if profile.savings is None or shortfall <= 0:
            return
        wanted = (shortfall + 50000) // 10000 * 10000
        cents = min(wanted, spare_cents(self.world, profile.savings))
        if cents <= 0:
            return
        german = profile.bank.language == "de"
        self._own_transfer(
            plan,
            profile.savings,
            profile.checking,
            cents,
            day,
            "Umbuchung Tagesgeld" if german else "Transfer from savings",
        )

    def _settle_card(self, plan: _Plan, day: date) -> None:
        profile = plan.profile
        if profile.card_account is None:
            return
        owed = -int(self.world.booked_balance(profile.card_account.id) * 100)
        self._top_up_from_savings(plan, day, owed)
        legs = card_settlement(self.maker, self.world, profile, day)
        if legs is not None:
            self._transfer(*legs)

    def _pay_friend(self, plan: _Plan, day: date) -> None:
        rng, profile = self.rng, plan.profile
        friend = rng.choice(plan.friends)
        cents = rng.randint(2, 60) * 250
        note = rng.choice(FRIEND_NOTES[profile.bank.country])
        if friend.account is not None:
            debit, credit = transfer_legs(
                self.maker,
                profile.checking,
                profile.customer.name,
                friend.account,
                friend.name,
                cents,
                day,
                remittance=note,
                own=False,
                country=profile.bank.country,
            )
            self._transfer(debit, credit)
            return
        self._record(
            self.maker.make(
                profile.checking,
                money(-cents),
                day,
                Category.OTHER,
                counterparty_name=friend.name,
                counterparty_iban=friend.iban,
                remittance=note,
                code=CODE_TRANSFER_OUT[profile.bank.country],
            )
        )

    def _paid_by_friend(self, plan: _Plan, day: date) -> None:
        rng, profile = self.rng, plan.profile
        friend = rng.choice(plan.friends)
        if friend.account is not None:
            return  # sandbox friends pay through their own _pay_friend
        cents = rng.randint(2, 40) * 250
        self._record(
            self.maker.make(
                profile.checking,
                money(cents),
                day,
                Category.OTHER,
                counterparty_name=friend.name,
                counterparty_iban=friend.iban,
                remittance=rng.choice(FRIEND_NOTES[profile.bank.country]),
                code=CODE_TRANSFER_IN[profile.bank.country],
            )
        )


def generate_world(
    seed: int = 42,
    *,
    today: date,
    customers_per_bank: int = 6,
    months: int = 18,
    clock: Callable[[], datetime] | None = None,
) -> World:
    """The sandbox banks with ``customers_per_bank`` customers each and ``months`` of
    transactions ending ``today``.

    Generation runs on a fixed clock (noon of ``today``) so the result depends only on
    ``seed`` and ``today``; afterwards the world runs on ``clock`` (default: real time).
    """
    world = World(clock)
    serving_clock = world.clock
    generation_time = datetime.combine(today, time(12), UTC)
    world.clock = lambda: generation_time
    simulation = _Simulation(world, seed, today, months)
    simulation.populate(customers_per_bank)
    simulation.run()
    world.clock = serving_clock
    return world


def fraud_labels(world: World) -> dict[str, FraudPattern]:
    """Transaction id -> injected fraud pattern, for training and evaluating fraud scoring."""
    return {tx.id: tx.fraud for tx in world.transaction_index.values() if tx.fraud is not None}
