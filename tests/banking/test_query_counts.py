"""How many SQL statements a sync of a connection sends, fixed (as Zulip asserts query
counts): a change that adds one fails here and has to say why by changing the number.
Counted on both databases; the numbers are the same."""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI

from bankchat.banking import sync
from bankchat.platform import Platform
from bankchat.sandbox.model import BookingStatus, Category, Transaction
from bankchat.sandbox.world import World, new_id
from tests.platform_support import link, sign_up
from tests.query_counts import statements

CHECKING = "nordbank-c1-chk"


def _payment(world: World, n: int) -> Transaction:
    today = world.today()
    return Transaction(
        id=new_id(),
        account_id=CHECKING,
        entry_reference=new_id(),
        amount=Decimal(f"{n + 1}.50"),
        currency="EUR",
        status=BookingStatus.BOOKED,
        value_date=today,
        booking_date=today,
        category=Category.INCOME,
        counterparty_name=f"Kunde {n}",
        remittance=f"Rechnung {n}",
    )


async def _sync_statements(platform: Platform, world: World, connection_id: str, new: int) -> int:
    for n in range(new):
        world.record(_payment(world, n), notify=False)
    with statements() as seen:
        report = await sync.sync_connection(platform, connection_id, psu_ip="192.0.2.1")
    assert report.added == new, report
    return len(seen)


# Before the bank is asked: the connection locked and read with its accounts (3). After:
# the same again (3); the balances stored (grant, data key, row, update: 4); the
# transactions applied (grant, data key, the stored keys, one batched insert: 4); the
# sync's audit entry (head, entry, head moved: 4). The sync marks ride on the flush.
SYNC_OF_ONE_ACCOUNT = 18


async def test_a_sync_costs_the_same_statements_for_few_or_many_new_transactions(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank", accounts=[CHECKING])
    few = await _sync_statements(platform, world, connection_id, 2)
    many = await _sync_statements(platform, world, connection_id, 200)
    assert (few, many) == (SYNC_OF_ONE_ACCOUNT, SYNC_OF_ONE_ACCOUNT)
