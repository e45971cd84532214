"""The numbers the assistant answers with, checked against what the sandbox bank holds
(never against the vault), and unlinking a bank from the chat."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import select

from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.replies import money, period
from bankchat.banking.models import Connection
from bankchat.platform import Platform
from bankchat.sandbox.model import BookingStatus
from bankchat.sandbox.serialize import balances as bank_balances
from bankchat.sandbox.world import World
from tests.assistant.conftest import Chat, ScriptedNlu, open_chat
from tests.platform_support import link, sign_up

CUSTOMER_ACCOUNTS = ("nordbank-c1-chk", "nordbank-c1-sav", "nordbank-c1-card")


def bank_balance(world: World, account_id: str, balance_type: str) -> Decimal:
    [balance] = [
        b
        for b in bank_balances(world, world.accounts[account_id])
        if b["balanceType"] == balance_type
    ]
    return Decimal(balance["balanceAmount"]["amount"])


def bank_spending(world: World, start: date, end: date, merchant: str | None = None) -> Decimal:
    """The bank's own sum of outgoing bookings of the customer's accounts in [start, end]."""
    return -sum(
        (
            tx.amount
            for account_id in CUSTOMER_ACCOUNTS
            for tx in world.transactions[account_id]
            if tx.status is BookingStatus.BOOKED
            and tx.amount < 0
            and tx.booking_date is not None
            and start <= tx.booking_date <= end
            and (merchant is None or merchant.casefold() in (tx.merchant or "").casefold())
        ),
        Decimal(0),
    )


async def linked_chat(
    platform_app: FastAPI,
    platform: Platform,
    nlu: ScriptedNlu,
    *,
    banks: tuple[str, ...] = ("nordbank",),
) -> Chat:
    person = await sign_up(platform_app)
    for bank in banks:
        await link(person, bank)
    return await open_chat(platform, person.id, nlu)


async def test_the_balance_card_shows_what_the_bank_holds(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add("balance", Intent.CHECK_BALANCE)
    chat = await linked_chat(platform_app, platform, scripted)
    [card] = (await chat.say("balance")).cards
    assert card["type"] == "balance"
    shown = {row["label"]: Decimal(row["amount"]) for row in card["rows"]}
    assert shown == {
        world.accounts[a].name: bank_balance(world, a, "closingBooked") for a in CUSTOMER_ACCOUNTS
    }
    total = sum((bank_balance(world, a, "closingBooked") for a in CUSTOMER_ACCOUNTS), Decimal(0))
    assert card["total"]["value"] == f"€{total:,.2f}"


async def test_the_balance_card_shows_the_available_balance_too(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add(
        "Kontostand Girokonto", Intent.CHECK_BALANCE, language="de", account_type="checking"
    )
    chat = await linked_chat(platform_app, platform, scripted)
    [card] = (await chat.say("Kontostand Girokonto")).cards
    [row] = card["rows"]
    available = bank_balance(world, "nordbank-c1-chk", "interimAvailable")
    assert row["secondary"] == f"verfügbar: {money(available, 'EUR', 'de')}"
    assert card["total"] is None


async def test_the_balance_of_one_named_bank(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add("balance at Südbank", Intent.CHECK_BALANCE, bank="Südbank")
    chat = await linked_chat(platform_app, platform, scripted, banks=("nordbank", "suedbank"))
    [card] = (await chat.say("balance at Südbank")).cards
    assert {Decimal(row["amount"]) for row in card["rows"]} == {
        bank_balance(world, f"suedbank-c1-{kind}", "closingBooked")
        for kind in ("chk", "sav", "card")
    }


async def test_last_months_spending_is_the_sum_of_the_banks_outgoing_bookings(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add(
        "spent last month",
        Intent.SPENDING_SUMMARY,
        period={"from": "2026-10-01", "to": "2026-10-31"},
    )
    chat = await linked_chat(platform_app, platform, scripted)
    answer = await chat.say("spent last month")
    [card] = answer.cards
    expected = bank_spending(world, date(2026, 10, 1), date(2026, 10, 31))
    assert expected > 0
    assert card["total"]["value"] == f"€{expected:,.2f}"
    assert sum((Decimal(row["amount"]) for row in card["rows"]), Decimal(0)) == expected
    october = period(date(2026, 10, 1), date(2026, 10, 31), "en")
    assert answer.texts[0] == (
        f"You spent €{expected:,.2f} in {october}. The biggest items: Rent, Shopping and Cash."
    )


async def test_spending_is_sorted_by_category_largest_first(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add(
        "spent last month",
        Intent.SPENDING_SUMMARY,
        period={"from": "2026-10-01", "to": "2026-10-31"},
    )
    chat = await linked_chat(platform_app, platform, scripted)
    [card] = (await chat.say("spent last month")).cards
    assert [row["label"] for row in card["rows"]] == [
        "Rent",
        "Shopping",
        "Cash",
        "Groceries",
        "Eating out",
    ]


async def test_unlinking_asks_which_bank_confirms_and_ends_the_connection(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add("unlink a bank", Intent.UNLINK_ACCOUNT)
    chat = await linked_chat(platform_app, platform, scripted, banks=("nordbank", "suedbank"))
    asked = await chat.say("unlink a bank")
    assert asked.buttons == {
        "Nordbank Test": "say:Nordbank Test",
        "Südbank Test": "say:Südbank Test",
    }
    confirm = await chat.tap("say:Südbank Test", label="Südbank Test")
    [card] = confirm.cards
    assert card["type"] == "confirmation"
    done = await chat.tap(confirm.payload_starting("confirm:"), label="Yes, end it")
    assert done.texts == [
        "Done: the connection to Südbank Test has ended and the data of its accounts is deleted."
    ]
    async with platform.sessions() as session:
        rows = await session.execute(select(Connection.bank_id, Connection.status))
        statuses = {bank_id: status for bank_id, status in rows}
    assert statuses == {"nordbank": "valid", "suedbank": "terminatedByTpp"}
    at_the_bank = {c.status.value for c in world.consents.values() if c.bank_id == "suedbank"}
    assert "valid" not in at_the_bank


async def test_cancelling_an_unlink_keeps_the_connection(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("disconnect Nordbank", Intent.UNLINK_ACCOUNT, bank="Nordbank")
    chat = await linked_chat(platform_app, platform, scripted)
    confirm = await chat.say("disconnect Nordbank")
    cancelled = await chat.tap(confirm.payload_starting("cancel:"), label="Cancel")
    assert cancelled.texts == ["Okay, cancelled."]
    late = await chat.tap(confirm.payload_starting("confirm:"), label="Yes, end it")
    assert late.texts == ["That request has expired and nothing was changed. Just ask again."]
    async with platform.sessions() as session:
        assert list((await session.execute(select(Connection.status))).scalars()) == ["valid"]
