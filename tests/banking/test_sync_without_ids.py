"""Banks that send no ``transactionId`` (it is optional in NextGenPSD2): entries are then
keyed by ``entryReference``, else by a hash of their booking fields, and a repeated or
later sync still neither doubles nor loses them.

The sandbox always sends ids, so the bank here is a fixed report served through
``httpx.MockTransport``, parsed by the real client and stored by the real vault.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from bankchat.banking.psd2_client import Psd2Account, Psd2Client
from bankchat.bus import InProcessBus
from bankchat.uow import unit_of_work
from bankchat.vault.purposes import Purpose
from bankchat.vault.service import Keyring, Vault, new_master_key
from tests.units import in_unit

PERSON = "0f0e0d0c-0000-4000-8000-000000000001"
ACCOUNT = "0f0e0d0c-0000-4000-8000-0000000000a1"
WIRE_ACCOUNT = Psd2Account(
    resource_id="acc-1",
    kind_path="accounts",
    iban="DE02120300000000202051",
    bban=None,
    masked_pan=None,
    name="Girokonto",
    product=None,
    currency="EUR",
    cash_account_type="CACC",
    owner_name=None,
    credit_limit=None,
)


def _entry(amount: str, day: str | None, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "valueDate": day or "2026-11-20",
        "transactionAmount": {"currency": "EUR", "amount": amount},
        "creditorName": "Bäckerei Korn",
        **fields,
    }
    if day:
        entry["bookingDate"] = day
    return entry


def _bank(report: dict[str, list[dict[str, Any]]]) -> tuple[Psd2Client, httpx.AsyncClient]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=json.dumps({"transactions": report}),
            headers={"Content-Type": "application/json"},
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return Psd2Client(http, "https://bank.example/psd2"), http


async def _sync(vault: Vault, sessions: Any, report: dict[str, list[dict[str, Any]]]) -> Any:
    client, http = _bank(report)
    async with http:
        records = await client.transactions(
            "consent-1", WIRE_ACCOUNT, date_from=date(2026, 10, 1), psu_ip="192.0.2.1"
        )
    async with unit_of_work(sessions, InProcessBus()) as tx:
        return await vault.apply_transactions(
            tx,
            person_id=PERSON,
            account_id=ACCOUNT,
            records=records,
            window_from=date(2026, 10, 1),
        )


async def _vault(db_engine: AsyncEngine) -> tuple[Vault, Any]:
    sessions = db.session_factory(db_engine)
    vault = Vault(sessions, Keyring(new_master_key()))
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.ensure_person_key(tx, PERSON)
        await vault.grant(
            tx,
            person_id=PERSON,
            account_id=ACCOUNT,
            bank_id="bank",
            scopes=frozenset({"transactions"}),
            purposes=frozenset({Purpose.USER_REQUEST}),
            valid_until=date(2099, 1, 1),
        )
    return vault, sessions


BOOKED_BY_HASH = [_entry("-3.20", "2026-11-18"), _entry("-3.20", "2026-11-18")]


async def test_entries_keyed_by_entry_reference_book_in_place(db_engine: AsyncEngine) -> None:
    vault, sessions = await _vault(db_engine)
    pending = _entry("-12.00", None, entryReference="ref-77")
    first = await _sync(vault, sessions, {"booked": BOOKED_BY_HASH, "pending": [pending]})
    assert (first.added, first.modified, first.removed) == (3, 0, 0)
    booked = _entry("-12.00", "2026-11-21", entryReference="ref-77")
    second = await _sync(vault, sessions, {"booked": [*BOOKED_BY_HASH, booked], "pending": []})
    assert (second.added, second.modified, second.removed) == (0, 1, 0)
    stored = await in_unit(
        sessions,
        lambda tx: vault.read_transactions(
            tx, person_id=PERSON, actor="test", purpose=Purpose.USER_REQUEST
        ),
    )
    assert len(stored) == 3
    assert [t.record.status for t in stored if t.record.entry_reference == "ref-77"] == ["booked"]


async def test_identical_entries_without_any_id_are_kept_apart_and_not_doubled(
    db_engine: AsyncEngine,
) -> None:
    vault, sessions = await _vault(db_engine)
    report: dict[str, list[dict[str, Any]]] = {"booked": BOOKED_BY_HASH, "pending": []}
    first = await _sync(vault, sessions, report)
    again = await _sync(vault, sessions, report)
    assert first.added == 2  # two purchases of the same price on the same day
    assert (again.added, again.modified, again.removed) == (0, 0, 0)
