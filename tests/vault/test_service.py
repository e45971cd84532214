"""The vault service: encrypted storage, grants and purposes, audited reads, sync, erasure."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat import db
from bankchat.bus import InProcessBus
from bankchat.config import Settings
from bankchat.uow import unit_of_work
from bankchat.vault.crypto import PersonCipher, unwrap_data_key
from bankchat.vault.models import (
    AuditEntry,
    VaultAccount,
    VaultBalances,
    VaultDataKey,
    VaultGrant,
    VaultTransaction,
)
from bankchat.vault.plaintext import json_strings
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AccountDetails, Balance, TransactionRecord
from bankchat.vault.service import (
    AccessDenied,
    DenialReason,
    Keyring,
    UnknownMasterKeyError,
    Vault,
    VaultIntegrityError,
    new_master_key,
)
from tests.units import in_session, in_unit

TODAY = date(2026, 3, 1)
ALL_PURPOSES = frozenset(Purpose)
BOTH_SCOPES = frozenset({"balances", "transactions"})


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(db_engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(new_master_key())


@pytest.fixture
def vault(sessions: async_sessionmaker[AsyncSession], keyring: Keyring, clock: Clock) -> Vault:
    return Vault(sessions, keyring, clock=clock)


def new_id() -> str:
    return str(uuid.uuid4())


def details(account_id: str, bank_id: str = "bank-a") -> AccountDetails:
    return AccountDetails(
        account_id=account_id,
        bank_id=bank_id,
        iban="DE89370400440532013000",
        masked_pan=None,
        name="Girokonto",
        product="Giro Plus",
        currency="EUR",
        kind="checking",
        owner_name="Max Müller",
    )


def booking(key: str, day: int = 1, amount: str = "-12.50", **changes: Any) -> TransactionRecord:
    record = TransactionRecord(
        key=key,
        status="booked",
        booking_date=date(2026, 2, day),
        value_date=date(2026, 2, day),
        amount=Decimal(amount),
        currency="EUR",
        transaction_id=key,
        counterparty_name="REWE Markt GmbH",
        counterparty_iban="DE02120300000000202051",
        remittance="Einkauf Filiale 123",
        merchant="REWE",
        mcc="5411",
        city="Berlin",
        country="DE",
    )
    return replace(record, **changes)


async def link(
    vault: Vault,
    sessions: async_sessionmaker[AsyncSession],
    person_id: str,
    account_id: str | None = None,
    *,
    bank_id: str = "bank-a",
    scopes: frozenset[str] = BOTH_SCOPES,
    purposes: frozenset[Purpose] = ALL_PURPOSES,
    valid_until: date = date(2026, 6, 1),
    transactions: Sequence[TransactionRecord] = (),
) -> str:
    """Grant, store details, balances and transactions for one account; its id."""
    account_id = account_id or new_id()
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.ensure_person_key(tx, person_id)
        await vault.grant(
            tx,
            person_id=person_id,
            account_id=account_id,
            bank_id=bank_id,
            scopes=scopes,
            purposes=purposes,
            valid_until=valid_until,
        )
        await vault.store_account(tx, person_id, details(account_id, bank_id))
        await vault.store_balances(
            tx,
            person_id,
            account_id,
            [Balance("closingBooked", Decimal("1234.56"), "EUR", date(2026, 2, 28), False)],
        )
        await vault.apply_transactions(
            tx,
            person_id=person_id,
            account_id=account_id,
            records=transactions,
            window_from=None,
        )
    return account_id


async def sync(
    vault: Vault,
    sessions: async_sessionmaker[AsyncSession],
    person_id: str,
    account_id: str,
    records: Sequence[TransactionRecord],
    window_from: date | None = None,
) -> tuple[int, int, int, int]:
    async with unit_of_work(sessions, InProcessBus()) as tx:
        changes = await vault.apply_transactions(
            tx,
            person_id=person_id,
            account_id=account_id,
            records=records,
            window_from=window_from,
        )
    return changes.added, changes.modified, changes.removed, changes.unchanged


async def read_all(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], person_id: str, **options: Any
) -> list[Any]:
    return await in_unit(
        sessions,
        lambda tx: vault.read_transactions(
            tx, person_id=person_id, actor="assistant", purpose=Purpose.USER_REQUEST, **options
        ),
    )


async def audit_actions(sessions: async_sessionmaker[AsyncSession], person_id: str) -> list[str]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.person_id == person_id)
                    .order_by(AuditEntry.seq)
                )
            ).all()
        )


async def tamper(sessions: async_sessionmaker[AsyncSession], statement: Any) -> None:
    async with db.transaction(sessions) as session:
        await session.execute(statement)


async def stored_row(
    sessions: async_sessionmaker[AsyncSession], transaction_id: str
) -> VaultTransaction:
    async with sessions() as session:
        return (
            await session.scalars(
                select(VaultTransaction).where(VaultTransaction.id == transaction_id)
            )
        ).one()


# -- round trips ------------------------------------------------------------------------


async def test_account_details_round_trip(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    accounts = await in_unit(
        sessions,
        lambda tx: vault.read_accounts(
            tx, person_id=person, actor="assistant", purpose=Purpose.USER_REQUEST
        ),
    )
    assert accounts == [details(account)]


async def test_balances_round_trip(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    balances = await in_unit(
        sessions,
        lambda tx: vault.read_balances(
            tx, person_id=person, actor="assistant", purpose=Purpose.USER_REQUEST
        ),
    )
    assert balances == {
        account: [Balance("closingBooked", Decimal("1234.56"), "EUR", date(2026, 2, 28), False)]
    }


async def test_transactions_round_trip(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    person = new_id()
    record = booking("t1", terminal_id="T-99", masked_pan="123456xxxxxx1234")
    account = await link(vault, sessions, person, transactions=[record])
    (stored,) = await read_all(vault, sessions, person)
    assert stored.record == record
    assert stored.account_id == account
    assert stored.annotation is None
    assert stored.first_seen_at == stored.updated_at == clock.now


async def test_bank_data_is_not_stored_in_clear(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1")])
    async with sessions() as session:
        row = (await session.scalars(select(VaultTransaction))).one()
        account = (await session.scalars(select(VaultAccount))).one()
        balances = (await session.scalars(select(VaultBalances))).one()
    blobs = [
        row.amount_ct,
        row.counterparty_ct,
        row.remittance_ct,
        row.location_ct,
        row.details_ct,
        account.details,
        balances.balances,
    ]
    for needle in (b"12.50", b"REWE", b"Einkauf", b"Berlin", b"DE89", b"1234.56", b"Girokonto"):
        assert all(needle not in blob for blob in blobs)


async def test_transactions_come_newest_first_within_dates_and_limit(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    records = [booking(f"t{day}", day=day) for day in (3, 10, 7, 20)]
    await link(vault, sessions, person, transactions=records)
    everything = await read_all(vault, sessions, person)
    assert [s.record.key for s in everything] == ["t20", "t10", "t7", "t3"]
    window = await read_all(
        vault, sessions, person, date_from=date(2026, 2, 7), date_to=date(2026, 2, 10)
    )
    assert [s.record.key for s in window] == ["t10", "t7"]
    assert [s.record.key for s in await read_all(vault, sessions, person, limit=1)] == ["t20"]


# -- tampering ----------------------------------------------------------------------------


async def test_changed_ciphertext_byte_fails_loudly(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1")])
    (stored,) = await read_all(vault, sessions, person)
    blob = bytearray((await stored_row(sessions, stored.id)).amount_ct)
    blob[-1] ^= 0x80
    await tamper(
        sessions,
        update(VaultTransaction)
        .where(VaultTransaction.id == stored.id)
        .values(amount_ct=bytes(blob)),
    )
    with pytest.raises(VaultIntegrityError):
        await read_all(vault, sessions, person)


async def test_ciphertext_moved_to_another_person_fails(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = new_id(), new_id()
    await link(vault, sessions, alice, transactions=[booking("t1", amount="-999.00")])
    await link(vault, sessions, bob, transactions=[booking("t1")])
    (alices,) = await read_all(vault, sessions, alice)
    (bobs,) = await read_all(vault, sessions, bob)
    stolen = (await stored_row(sessions, alices.id)).amount_ct
    await tamper(
        sessions,
        update(VaultTransaction).where(VaultTransaction.id == bobs.id).values(amount_ct=stolen),
    )
    with pytest.raises(VaultIntegrityError):
        await read_all(vault, sessions, bob)


async def test_ciphertext_moved_to_another_field_fails(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1")])
    (stored,) = await read_all(vault, sessions, person)
    row = await stored_row(sessions, stored.id)
    await tamper(
        sessions,
        update(VaultTransaction)
        .where(VaultTransaction.id == stored.id)
        .values(counterparty_ct=row.remittance_ct),
    )
    with pytest.raises(VaultIntegrityError):
        await read_all(vault, sessions, person)


async def test_ciphertext_moved_to_another_row_fails(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1"), booking("t2", amount="-1.00")])
    first, second = await read_all(vault, sessions, person)
    moved = (await stored_row(sessions, first.id)).amount_ct
    await tamper(
        sessions,
        update(VaultTransaction).where(VaultTransaction.id == second.id).values(amount_ct=moved),
    )
    with pytest.raises(VaultIntegrityError):
        await read_all(vault, sessions, person)


async def test_account_details_moved_to_another_account_fail(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    first = await link(vault, sessions, person)
    second = await link(vault, sessions, person)
    async with sessions() as session:
        blob = (await session.get_one(VaultAccount, first)).details
    await tamper(
        sessions, update(VaultAccount).where(VaultAccount.account_id == second).values(details=blob)
    )
    with pytest.raises(VaultIntegrityError):
        await in_unit(
            sessions,
            lambda tx: vault.read_accounts(
                tx, person_id=person, actor="a", purpose=Purpose.USER_REQUEST
            ),
        )


# -- master keys ------------------------------------------------------------------------------


async def test_vault_without_the_master_key_cannot_read(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1")])
    stranger = Vault(sessions, Keyring(new_master_key()), clock=clock)
    with pytest.raises(UnknownMasterKeyError):
        await read_all(stranger, sessions, person)


async def test_data_key_relabelled_to_another_master_key_fails(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], keyring: Keyring, clock: Clock
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1")])
    other = new_master_key()
    await tamper(
        sessions,
        update(VaultDataKey)
        .where(VaultDataKey.person_id == person)
        .values(master_key_id=other.key_id),
    )
    confused = Vault(sessions, Keyring(other, (keyring.current,)), clock=clock)
    with pytest.raises(VaultIntegrityError):
        await read_all(confused, sessions, person)


async def test_rotation_keeps_data_readable_under_the_new_key_only(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], keyring: Keyring, clock: Clock
) -> None:
    old = keyring.current
    people = [new_id() for _ in range(3)]
    for person in people:
        await link(vault, sessions, person, transactions=[booking("t1")])
    new = new_master_key()
    assert await vault.rotate_master_key(new) == 3
    assert vault.keyring.current == new
    fresh = Vault(sessions, Keyring(new), clock=clock)
    for person in people:
        assert [s.record for s in await read_all(fresh, sessions, person)] == [booking("t1")]
        assert [s.record for s in await read_all(vault, sessions, person)] == [booking("t1")]
    async with sessions() as session:
        row = await session.get_one(VaultDataKey, people[0])
    assert row.master_key_id == new.key_id
    with pytest.raises(VaultIntegrityError):
        unwrap_data_key(old, people[0], row.version, row.wrapped)


async def test_rotating_twice_to_the_same_key_rewraps_nothing(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await link(vault, sessions, new_id())
    new = new_master_key()
    assert await vault.rotate_master_key(new) == 1
    assert await vault.rotate_master_key(new) == 0


async def test_keys_created_after_rotation_use_the_new_master_key(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    new = new_master_key()
    await vault.rotate_master_key(new)
    person = new_id()
    await link(vault, sessions, person)
    async with sessions() as session:
        assert (await session.get_one(VaultDataKey, person)).master_key_id == new.key_id


# -- purposes and grants ------------------------------------------------------------------


DENIALS: dict[str, dict[str, Any]] = {
    "no grant": {},
    "revoked": {},
    "expired": {"valid_until": TODAY - timedelta(days=1)},
    "scope not granted": {"scopes": frozenset({"balances"})},
    "purpose not granted": {"purposes": frozenset({Purpose.FRAUD_PROTECTION})},
}


async def test_a_read_stays_in_the_log_when_the_callers_unit_rolls_back(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person)
    before = await audit_actions(sessions, person)

    async def read_then_fail() -> None:
        async with unit_of_work(sessions, InProcessBus()) as tx:
            await vault.read_accounts(tx, person_id=person, actor="a", purpose=Purpose.USER_REQUEST)
            raise RuntimeError("the caller failed after reading")

    with pytest.raises(RuntimeError):
        await read_then_fail()
    assert await audit_actions(sessions, person) == [*before, "read"]
    assert (await vault.verify_chain()).ok


async def test_a_refused_read_the_caller_lets_through_is_logged_once(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, purposes=frozenset({Purpose.USER_REQUEST}))
    before = await audit_actions(sessions, person)
    with pytest.raises(AccessDenied):
        await in_unit(
            sessions,
            lambda tx: vault.read_balances(
                tx, person_id=person, actor="a", purpose=Purpose.PAYMENT
            ),
        )
    assert await audit_actions(sessions, person) == [*before, "read_denied"]


async def test_a_refused_read_the_caller_handles_is_logged_once(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, purposes=frozenset({Purpose.USER_REQUEST}))
    before = await audit_actions(sessions, person)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        with pytest.raises(AccessDenied):
            await vault.read_balances(tx, person_id=person, actor="a", purpose=Purpose.PAYMENT)
    assert await audit_actions(sessions, person) == [*before, "read_denied"]


@pytest.mark.parametrize("reason", list(DENIALS))
async def test_each_denied_read_leaves_one_entry_and_raises(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], reason: str
) -> None:
    person = new_id()
    account = await link(vault, sessions, person, **DENIALS[reason])
    if reason == "revoked":
        async with unit_of_work(sessions, InProcessBus()) as tx:
            await vault.revoke(
                tx, person_id=person, account_ids=[account], reason="unlinked", actor="a"
            )
    requested = new_id() if reason == "no grant" else account
    before = await audit_actions(sessions, person)
    with pytest.raises(AccessDenied) as raised:
        await read_all(vault, sessions, person, account_ids=[requested])
    after = await audit_actions(sessions, person)
    assert after == [*before, "read_denied"]
    assert raised.value.reason is DenialReason(reason)
    assert raised.value.status == 403
    assert raised.value.code == "ACCESS_DENIED"
    assert reason in raised.value.detail
    (entry, *_) = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert entry.what["reason"] == reason
    assert entry.purpose == Purpose.USER_REQUEST


async def test_someone_elses_account_is_denied_as_no_grant(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = new_id(), new_id()
    bobs = await link(vault, sessions, bob, transactions=[booking("t1")])
    await link(vault, sessions, alice)
    with pytest.raises(AccessDenied) as raised:
        await read_all(vault, sessions, alice, account_ids=[bobs])
    assert raised.value.reason == "no grant"
    assert await audit_actions(sessions, bob) == []


async def test_balances_need_the_balances_scope(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person, scopes=frozenset({"transactions"}))
    with pytest.raises(AccessDenied, match="scope not granted"):
        await in_unit(
            sessions,
            lambda tx: vault.read_balances(
                tx, person_id=person, actor="a", purpose=Purpose.USER_REQUEST, account_ids=[account]
            ),
        )


async def test_unnamed_accounts_read_only_those_that_allow_it(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    allowed = await link(vault, sessions, person, transactions=[booking("a")])
    await link(
        vault,
        sessions,
        person,
        purposes=frozenset({Purpose.USER_REQUEST}),
        transactions=[booking("b")],
    )
    found = await in_unit(
        sessions,
        lambda tx: vault.read_transactions(
            tx, person_id=person, actor="fraud", purpose=Purpose.FRAUD_PROTECTION
        ),
    )
    assert [s.account_id for s in found] == [allowed]


async def test_unnamed_accounts_none_of_which_allow_it_are_denied(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, purposes=frozenset({Purpose.USER_REQUEST}))
    with pytest.raises(AccessDenied) as raised:
        await in_unit(
            sessions,
            lambda tx: vault.read_balances(
                tx, person_id=person, actor="a", purpose=Purpose.PAYMENT
            ),
        )
    assert raised.value.reason == "purpose not granted"
    assert (await audit_actions(sessions, person))[-1] == "read_denied"


async def test_unnamed_accounts_that_are_all_revoked_read_nothing(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.revoke(
            tx, person_id=person, account_ids=[account], reason="unlinked", actor="a"
        )
    assert (
        await in_unit(
            sessions,
            lambda tx: vault.read_accounts(
                tx, person_id=person, actor="a", purpose=Purpose.PAYMENT
            ),
        )
        == []
    )
    assert (await audit_actions(sessions, person))[-1] == "read"


async def test_unnamed_accounts_skip_expired_grants(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, valid_until=TODAY - timedelta(days=1))
    live = await link(vault, sessions, person)
    balances = await in_unit(
        sessions,
        lambda tx: vault.read_balances(tx, person_id=person, actor="a", purpose=Purpose.PAYMENT),
    )
    assert list(balances) == [live]


async def test_person_without_grants_reads_nothing(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    assert await read_all(vault, sessions, person) == []
    (entry,) = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert (entry.action, entry.what["count"]) == ("read", 0)


async def test_grant_expires_after_its_last_day(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    person = new_id()
    account = await link(vault, sessions, person, valid_until=TODAY)
    assert await in_unit(
        sessions,
        lambda tx: vault.read_balances(tx, person_id=person, actor="a", purpose=Purpose.PAYMENT),
    )
    clock.now += timedelta(days=1)
    with pytest.raises(AccessDenied, match="expired"):
        await in_unit(
            sessions,
            lambda tx: vault.read_balances(
                tx, person_id=person, actor="a", purpose=Purpose.PAYMENT, account_ids=[account]
            ),
        )


@pytest.mark.parametrize("purpose", ["user_request", "advertising", None])
async def test_only_purpose_members_are_accepted(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], purpose: Any
) -> None:
    person = new_id()
    await link(vault, sessions, person)
    with pytest.raises(TypeError):
        await in_unit(
            sessions,
            lambda tx: vault.read_accounts(tx, person_id=person, actor="a", purpose=purpose),
        )
    assert "read" not in await audit_actions(sessions, person)
    assert "read_denied" not in await audit_actions(sessions, person)


def test_there_are_exactly_four_purposes() -> None:
    assert {p.value for p in Purpose} == {
        "user_request",
        "fraud_protection",
        "customer_support",
        "payment",
    }


async def test_reads_are_audited_with_actor_purpose_and_no_bank_data(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    person = new_id()
    account = await link(vault, sessions, person, bank_id="bank-b", transactions=[booking("t1")])
    await in_unit(
        sessions,
        lambda tx: vault.read_transactions(
            tx,
            person_id=person,
            actor="agent:42",
            purpose=Purpose.CUSTOMER_SUPPORT,
            date_from=date(2026, 2, 1),
        ),
    )
    (entry, *_) = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert (entry.action, entry.actor, entry.purpose) == (
        "read",
        "agent:42",
        Purpose.CUSTOMER_SUPPORT,
    )
    assert entry.at == clock.now
    assert entry.what == {
        "resource": "transactions",
        "accounts": [account],
        "banks": ["bank-b"],
        "from": "2026-02-01",
        "to": None,
        "count": 1,
    }
    text = str(entry.what)
    assert "12.50" not in text
    assert "REWE" not in text


async def test_storing_without_a_grant_is_refused(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    async with unit_of_work(sessions, InProcessBus()) as tx:
        with pytest.raises(AccessDenied):
            await vault.store_account(tx, person, details(new_id()))


async def test_grant_rejects_unknown_scopes(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions, InProcessBus()) as tx:
        with pytest.raises(ValueError, match="scopes"):
            await vault.grant(
                tx,
                person_id=new_id(),
                account_id=new_id(),
                bank_id="b",
                scopes=frozenset({"payments"}),
                purposes=ALL_PURPOSES,
                valid_until=TODAY,
            )


async def test_renewed_grant_clears_the_revocation(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.revoke(
            tx, person_id=person, account_ids=[account], reason="unlinked", actor="a"
        )
    await link(vault, sessions, person, account)
    assert [
        a.account_id
        for a in await in_unit(
            sessions,
            lambda tx: vault.read_accounts(
                tx, person_id=person, actor="a", purpose=Purpose.USER_REQUEST
            ),
        )
    ] == [account]


# -- revocation -------------------------------------------------------------------------------


async def test_revoke_deletes_the_data_and_keeps_a_tombstone(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    kept = await link(vault, sessions, person, transactions=[booking("k")])
    gone = await link(vault, sessions, person, transactions=[booking("g")])
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.revoke(
            tx, person_id=person, account_ids=[gone], reason="expired (bank)", actor="system"
        )
    async with sessions() as session:
        for model in (VaultAccount, VaultBalances, VaultTransaction):
            rows = (await session.scalars(select(model.account_id))).all()
            assert gone not in rows
            assert kept in rows
        grant = await session.get_one(VaultGrant, gone)
    assert grant.revoked_reason == "expired (bank)"
    (entry, *_) = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert (entry.action, entry.what["accounts"], entry.what["reason"]) == (
        "revoke",
        [gone],
        "expired (bank)",
    )


async def test_revoke_leaves_other_peoples_accounts_alone(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = new_id(), new_id()
    bobs = await link(vault, sessions, bob, transactions=[booking("t")])
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.revoke(tx, person_id=alice, account_ids=[bobs], reason="x", actor="a")
    assert len(await read_all(vault, sessions, bob)) == 1


# -- sync -----------------------------------------------------------------------------------


async def test_apply_counts_added_modified_removed_unchanged(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    assert await sync(
        vault, sessions, person, account, [booking("a"), booking("b"), booking("c")]
    ) == (
        3,
        0,
        0,
        0,
    )
    changed = [booking("a"), booking("b", amount="-13.00"), booking("d")]
    assert await sync(vault, sessions, person, account, changed) == (1, 1, 1, 1)
    assert {s.record.key for s in await read_all(vault, sessions, person)} == {"a", "b", "d"}


async def test_repeated_apply_adds_nothing(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    records = [booking(f"t{n}", day=n % 28 + 1) for n in range(30)]
    await sync(vault, sessions, person, account, records)
    assert await sync(vault, sessions, person, account, records) == (0, 0, 0, 30)
    assert len(await read_all(vault, sessions, person)) == 30


async def test_pending_to_booked_keeps_id_and_annotation(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    person = new_id()
    pending = booking("p1", status="pending", booking_date=None, amount="-20.00")
    account = await link(vault, sessions, person, transactions=[pending])
    (before,) = await read_all(vault, sessions, person)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.annotate(
            tx, person_id=person, transaction_id=before.id, text="Geschenk", actor="p"
        )
    clock.now += timedelta(hours=2)
    booked = replace(
        pending, status="booked", booking_date=date(2026, 2, 2), amount=Decimal("-21.00")
    )
    assert await sync(vault, sessions, person, account, [booked]) == (0, 1, 0, 0)
    (after,) = await read_all(vault, sessions, person)
    assert after.id == before.id
    assert after.annotation == "Geschenk"
    assert after.record == booked
    assert after.first_seen_at == before.first_seen_at
    assert after.updated_at == clock.now


async def test_window_limits_what_is_removed(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    await sync(vault, sessions, person, account, [booking("old", day=1), booking("new", day=20)])
    assert await sync(vault, sessions, person, account, [], window_from=date(2026, 2, 10)) == (
        0,
        0,
        1,
        0,
    )
    assert [s.record.key for s in await read_all(vault, sessions, person)] == ["old"]


async def test_undated_rows_count_as_inside_the_window(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    undated = booking("u", status="pending", booking_date=None, value_date=None)
    await sync(vault, sessions, person, account, [undated, booking("old", day=1)])
    assert await sync(vault, sessions, person, account, [], window_from=date(2026, 2, 10)) == (
        0,
        0,
        1,
        0,
    )


async def test_duplicate_keys_collapse_to_the_last_record(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person)
    records = [booking("a", amount="-1.00"), booking("a", amount="-2.00")]
    assert await sync(vault, sessions, person, account, records) == (1, 0, 0, 0)
    (stored,) = await read_all(vault, sessions, person)
    assert stored.record.amount == Decimal("-2.00")


async def test_same_key_on_two_accounts_are_two_transactions(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("same")])
    await link(vault, sessions, person, transactions=[booking("same")])
    assert len(await read_all(vault, sessions, person)) == 2


async def test_annotation_can_be_cleared(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t")])
    (stored,) = await read_all(vault, sessions, person)
    for text in ("Notiz", None):
        async with unit_of_work(sessions, InProcessBus()) as tx:
            await vault.annotate(
                tx, person_id=person, transaction_id=stored.id, text=text, actor="p"
            )
    assert (await read_all(vault, sessions, person))[0].annotation is None
    assert (await audit_actions(sessions, person)).count("annotate") == 2


async def test_annotating_someone_elses_transaction_is_not_found(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bob = new_id()
    await link(vault, sessions, bob, transactions=[booking("t")])
    (bobs,) = await read_all(vault, sessions, bob)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        with pytest.raises(Exception, match="No such transaction") as raised:
            await vault.annotate(
                tx, person_id=new_id(), transaction_id=bobs.id, text="x", actor="p"
            )
    assert getattr(raised.value, "status", None) == 404


# -- events, export, access log ---------------------------------------------------------------


async def test_events_are_appended_without_purpose(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.record_event(
            tx, person_id=person, actor="system:sync", action="sync", what={"added": 3}
        )
    (entry,) = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert (entry.action, entry.purpose, entry.what) == ("sync", None, {"added": 3})


async def test_events_cannot_pose_as_reads(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions, InProcessBus()) as tx:
        with pytest.raises(ValueError, match="read"):
            await vault.record_event(tx, person_id=new_id(), actor="x", action="read", what={})


async def test_export_holds_everything_decrypted_and_is_audited(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    account = await link(vault, sessions, person, transactions=[booking("t1")])
    revoked = await link(vault, sessions, person, transactions=[booking("t2")])
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.revoke(
            tx, person_id=person, account_ids=[revoked], reason="unlinked", actor="p"
        )
    (stored,) = await read_all(vault, sessions, person)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.annotate(
            tx, person_id=person, transaction_id=stored.id, text="Miete", actor="p"
        )
    exported = await in_unit(
        sessions, lambda tx: vault.export_person(tx, person_id=person, actor=f"person:{person}")
    )
    assert [g["account_id"] for g in exported["grants"]] == sorted([account, revoked])
    assert {g["account_id"]: g["revoked_reason"] for g in exported["grants"]}[revoked] == (
        "unlinked"
    )
    assert exported["accounts"] == [details(account).as_json()]
    assert exported["balances"][account][0]["amount"] == "1234.56"
    (transaction,) = exported["transactions"]
    assert transaction["amount"] == "-12.50"
    assert transaction["booking_date"] == "2026-02-01"
    assert transaction["annotation"] == "Miete"
    (entry, *_) = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert (entry.action, entry.purpose) == ("export", Purpose.USER_REQUEST)


async def test_access_log_pages_newest_first(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    for _ in range(4):
        await read_all(vault, sessions, person)
    page = await in_session(sessions, lambda s: vault.access_log(s, person_id=person, limit=3))
    assert [e.seq for e in page] == [4, 3, 2]
    assert [
        e.seq
        for e in await in_session(
            sessions, lambda s: vault.access_log(s, person_id=person, before_seq=2)
        )
    ] == [1]
    assert (
        len(await in_session(sessions, lambda s: vault.access_log(s, person_id=person, limit=None)))
        == 4
    )


# -- erasure ----------------------------------------------------------------------------------


async def test_erase_shreds_the_key_and_leaves_a_verifiable_chain(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], keyring: Keyring
) -> None:
    person, other = new_id(), new_id()
    account = await link(vault, sessions, person, transactions=[booking("t1")])
    await link(vault, sessions, other, transactions=[booking("t1")])
    (stored,) = await read_all(vault, sessions, person)
    snapshot = (await stored_row(sessions, stored.id)).amount_ct
    async with sessions() as session:
        old_key = await session.get_one(VaultDataKey, person)

    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.erase_person(tx, person_id=person, actor=f"person:{person}")

    async with sessions() as session:
        assert await session.get(VaultDataKey, person) is None
        for model in (VaultGrant, VaultAccount, VaultBalances, VaultTransaction):
            count = await session.scalar(
                select(func.count()).select_from(model).where(model.person_id == person)
            )
            assert count == 0
    # The old wrapped key is gone from the database; a new key for the same person (or
    # anyone else's key) cannot open what was captured before the erasure.
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.ensure_person_key(tx, person)
    async with sessions() as session:
        new_key = await session.get_one(VaultDataKey, person)
    assert new_key.wrapped != old_key.wrapped
    fresh = PersonCipher(
        person, new_key.version, unwrap_data_key(keyring.current, person, 1, new_key.wrapped)
    )
    with pytest.raises(VaultIntegrityError):
        fresh.open("transaction.amount", stored.id, snapshot)
    with pytest.raises(AccessDenied):
        await read_all(vault, sessions, person, account_ids=[account])
    assert await read_all(vault, sessions, person) == []
    report = await vault.verify_chain()
    assert report.ok
    assert "erase" in await audit_actions(sessions, person)
    assert len(await read_all(vault, sessions, other)) == 1


async def test_erasure_in_another_process_is_respected_despite_the_key_cache(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], keyring: Keyring, clock: Clock
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t1")])
    assert len(await read_all(vault, sessions, person)) == 1  # the key is now cached
    elsewhere = Vault(sessions, keyring, clock=clock)
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await elsewhere.erase_person(tx, person_id=person, actor="system")
    account = await link(vault, sessions, person, transactions=[booking("t2")])
    assert [
        s.record.key for s in await read_all(vault, sessions, person, account_ids=[account])
    ] == ["t2"]


# -- arbitrary records --------------------------------------------------------------------


optional_text = st.none() | st.text(max_size=60)
optional_date = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
records = st.builds(
    TransactionRecord,
    key=st.text(min_size=1, max_size=80),
    status=st.sampled_from(["booked", "pending"]),
    booking_date=optional_date,
    value_date=optional_date,
    transaction_date=optional_date,
    amount=st.decimals(
        min_value=Decimal("-1000000"),
        max_value=Decimal("1000000"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    ),
    currency=st.sampled_from(["EUR", "USD", "GBP", "CHF"]),
    transaction_id=optional_text,
    entry_reference=optional_text,
    counterparty_name=optional_text,
    counterparty_iban=optional_text,
    remittance=st.none() | st.text(max_size=300),
    merchant=optional_text,
    mcc=optional_text,
    bank_transaction_code=optional_text,
    city=optional_text,
    country=optional_text,
    masked_pan=optional_text,
    terminal_id=optional_text,
)


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(records, max_size=8, unique_by=lambda r: r.key))
async def test_any_records_round_trip(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], batch: list[TransactionRecord]
) -> None:
    person = new_id()
    await link(vault, sessions, person, transactions=batch)
    stored = await read_all(vault, sessions, person)
    assert sorted((s.record for s in stored), key=lambda r: r.key) == sorted(
        batch, key=lambda r: r.key
    )


# -- construction -------------------------------------------------------------------------


async def test_vault_from_settings_uses_the_configured_master_key(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, tmp_path: Path
) -> None:
    key = new_master_key()
    settings = Settings(
        data_dir=tmp_path, master_key=SecretStr(base64.b64encode(key.secret).decode())
    )
    vault = Vault.from_settings(sessions, settings, clock=clock)
    assert vault.keyring.current == key
    person = new_id()
    await link(vault, sessions, person, transactions=[booking("t")])
    assert len(await read_all(Vault(sessions, Keyring(key), clock=clock), sessions, person)) == 1


async def test_small_key_cache_still_serves_everyone(
    sessions: async_sessionmaker[AsyncSession], keyring: Keyring, clock: Clock
) -> None:
    vault = Vault(sessions, keyring, clock=clock, key_cache_size=1)
    people = [new_id() for _ in range(3)]
    for person in people:
        await link(vault, sessions, person, transactions=[booking("t")])
    for person in [*people, *people]:
        assert len(await read_all(vault, sessions, person)) == 1


@given(st.lists(st.none() | st.text()))
def test_fast_string_encoding_is_plain_compact_json(values: list[str | None]) -> None:
    assert json_strings(values) == json.dumps(values, separators=(",", ":")).encode()
