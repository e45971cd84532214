"""Sync against the sandbox bank over real HTTP: incremental, in place, never doubled,
within the consent's budget, and stopped when the bank ends the consent."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI

from bankchat.banking import service
from bankchat.banking.sync import refresh_consent_statuses, sync_connection
from bankchat.events import ConsentExpiring, Event
from bankchat.platform import Platform
from bankchat.sandbox.model import BookingStatus, Category, ConsentStatus, Transaction
from bankchat.sandbox.world import World, new_id
from tests.platform_support import Person, link, sign_up

CHECKING = "nordbank-c1-chk"


async def _linked(platform_app: FastAPI, **extra: object) -> tuple[Person, str]:
    person = await sign_up(platform_app)
    return person, await link(person, "nordbank", accounts=[CHECKING], **extra)


async def _transactions(person: Person) -> list[dict[str, object]]:
    response = await person.api.get("/api/v1/transactions")
    assert response.status_code == 200, response.text
    body: list[dict[str, object]] = response.json()
    return body


def _new_payment(world: World, amount: str, *, pending: bool = False) -> Transaction:
    today = world.today()
    return Transaction(
        id=new_id(),
        account_id=CHECKING,
        entry_reference=new_id(),
        amount=Decimal(amount),
        currency="EUR",
        status=BookingStatus.PENDING if pending else BookingStatus.BOOKED,
        value_date=today,
        booking_date=None if pending else today,
        category=Category.SHOPPING,
        counterparty_name="Buchladen am Markt",
        remittance="Rechnung 4711",
    )


async def test_repeated_sync_adds_nothing(platform_app: FastAPI, platform: Platform) -> None:
    person, connection_id = await _linked(platform_app)
    before = await _transactions(person)
    report = await sync_connection(platform, connection_id, psu_ip="192.0.2.1")
    assert (report.added, report.modified, report.removed) == (0, 0, 0)
    assert await _transactions(person) == before


async def test_new_transaction_at_the_bank_is_added(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app)
    world.record(_new_payment(world, "-19.99"), notify=False)
    report = await sync_connection(platform, connection_id, psu_ip="192.0.2.1")
    assert (report.added, report.modified, report.removed) == (1, 0, 0)
    newest = await _transactions(person)
    [added] = [t for t in newest if t["remittance"] == "Rechnung 4711"]
    assert added["amount"] == {"amount": "-19.99", "currency": "EUR"}
    assert added["counterpartyName"] == "Buchladen am Markt"


async def test_pending_entry_booked_later_is_updated_in_place_and_keeps_its_note(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app)
    [pending] = [t for t in await _transactions(person) if t["status"] == "pending"]
    noted = await person.api.patch(
        f"/api/v1/transactions/{pending['id']}", json={"note": "Wochenmarkt"}
    )
    assert noted.status_code == 204, noted.text
    world.book(f"{CHECKING}-groc-1", world.today())
    report = await sync_connection(platform, connection_id, psu_ip="192.0.2.1")
    assert (report.added, report.modified, report.removed) == (0, 1, 0)
    after = {t["id"]: t for t in await _transactions(person)}
    assert after[str(pending["id"])]["status"] == "booked"
    assert after[str(pending["id"])]["note"] == "Wochenmarkt"
    assert len(after) == 3


async def test_entry_the_bank_no_longer_reports_is_removed(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app)
    cancelled = world.transaction_index[f"{CHECKING}-groc-1"]
    world._remove(cancelled)
    report = await sync_connection(platform, connection_id, psu_ip="192.0.2.1")
    assert (report.added, report.modified, report.removed) == (0, 0, 1)
    assert len(await _transactions(person)) == 2


async def test_unattended_syncs_stay_within_frequency_per_day(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    _person, connection_id = await _linked(platform_app)
    [consent] = [c for c in world.consents.values() if c.status is ConsentStatus.VALID]
    reports = [await sync_connection(platform, connection_id) for _ in range(3)]
    # Balances and transactions are two reads of the account; four a day allow two syncs.
    assert [r.accounts[0].deferred for r in reports] == [False, False, True]
    assert max(consent.uses.values()) == 4
    assert all(r.error is None for r in reports)


async def test_budget_is_renewed_the_next_day(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    _person, connection_id = await _linked(platform_app)
    for _ in range(2):
        await sync_connection(platform, connection_id)
    real = world.clock
    world.clock = lambda: real() + timedelta(days=1)
    report = await sync_connection(platform, connection_id)
    assert report.accounts[0].deferred is False


async def test_sync_with_the_person_present_is_not_budgeted(
    platform_app: FastAPI, platform: Platform
) -> None:
    _person, connection_id = await _linked(platform_app)
    reports = [await sync_connection(platform, connection_id, psu_ip="192.0.2.1") for _ in range(5)]
    assert not any(r.accounts[0].deferred for r in reports)


async def test_consent_revoked_at_the_bank_stops_all_reads(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app)
    [account_id] = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()[
        "accountIds"
    ]
    [consent] = [c for c in world.consents.values() if c.status is ConsentStatus.VALID]
    consent.status = ConsentStatus.REVOKED_BY_PSU
    report = await sync_connection(platform, connection_id)
    assert report.status == "revokedByPsu"
    connection = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()
    assert (connection["status"], connection["revokedBy"]) == ("revokedByPsu", "bank")
    assert connection["accountIds"] == []
    denied = await person.api.get("/api/v1/transactions", params={"accountId": account_id})
    assert denied.status_code == 403
    assert denied.json()["code"] == "ACCESS_DENIED"
    assert (await person.api.get("/api/v1/accounts")).json() == []


async def test_consent_expired_at_the_bank_is_shown_as_expired(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app)
    [consent] = [c for c in world.consents.values() if c.status is ConsentStatus.VALID]
    consent.status = ConsentStatus.EXPIRED
    await sync_connection(platform, connection_id)
    connection = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()
    assert (connection["status"], connection["revokedBy"]) == ("expired", "expiry")


async def test_connection_past_valid_until_ends_without_asking_the_bank(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app, days=10)
    real = platform.clock
    platform.clock = lambda: real() + timedelta(days=11)
    async with platform.unit_of_work() as tx:
        assert await service.expire_due(platform, tx) == 1
    connection = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()
    assert connection["status"] == "expired"


async def test_expiry_warning_is_published_once_seven_days_ahead(
    platform_app: FastAPI, platform: Platform
) -> None:
    _person, connection_id = await _linked(platform_app, days=30)
    events: list[ConsentExpiring] = []

    async def record(event: Event) -> None:
        assert isinstance(event, ConsentExpiring)
        events.append(event)

    platform.bus.subscribe(ConsentExpiring.kind, record)
    real = platform.clock
    for days in (22, 23, 24):
        platform.clock = lambda days=days: real() + timedelta(days=days)  # type: ignore[misc]
        async with platform.unit_of_work() as tx:
            await service.warn_expiring(platform, tx)
    await platform.bus.drain()
    assert [e.connection_id for e in events] == [connection_id]
    assert events[0].days_left == 7


async def test_concurrent_unattended_syncs_never_exceed_the_budget(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    _person, connection_id = await _linked(platform_app)
    [consent] = [c for c in world.consents.values() if c.status is ConsentStatus.VALID]
    reports = await asyncio.gather(*(sync_connection(platform, connection_id) for _ in range(4)))
    assert sorted(r.accounts[0].deferred for r in reports) == [False, False, True, True]
    assert max(consent.uses.values()) == 4


async def test_consent_revoked_at_the_bank_ends_the_connection_without_a_sync(
    platform_app: FastAPI, platform: Platform, world: World
) -> None:
    person, connection_id = await _linked(platform_app)
    [consent] = [c for c in world.consents.values() if c.status is ConsentStatus.VALID]
    consent.status = ConsentStatus.REVOKED_BY_PSU
    uses_before = dict(consent.uses)
    assert await refresh_consent_statuses(platform) == 1
    connection = (await person.api.get(f"/api/v1/connections/{connection_id}")).json()
    assert connection["status"] == "revokedByPsu"
    assert consent.uses == uses_before  # asking for the status spent nothing


async def test_scheduled_sync_skips_a_connection_synced_just_now(
    platform_app: FastAPI, platform: Platform
) -> None:
    _person, connection_id = await _linked(platform_app)
    report = await sync_connection(
        platform, connection_id, unless_synced_within=timedelta(hours=12)
    )
    assert report.accounts == []


async def test_bank_data_never_reaches_the_logs(
    platform_app: FastAPI, platform: Platform, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    person, connection_id = await _linked(platform_app)
    [consent] = [c for c in world.consents.values() if c.status is ConsentStatus.VALID]
    await sync_connection(platform, connection_id, psu_ip="192.0.2.1")
    await person.api.get("/api/v1/transactions")
    consent.status = ConsentStatus.REVOKED_BY_PSU
    await sync_connection(platform, connection_id)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request" in logged  # the bank calls were logged, so there was a chance
    iban = world.accounts[CHECKING].iban
    assert iban is not None
    for secret in ("Employer GmbH", "Markt 24", "2500.00", "42.10", iban):
        assert secret not in logged
