"""The vault's combined read of accounts and balances: one transaction and one audit entry,
balances only where the grant shares them, and refusals as for any other read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat import db
from bankchat.bus import InProcessBus
from bankchat.privacy.access_log import describe
from bankchat.uow import unit_of_work
from bankchat.vault.models import VaultDataKey
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import Balance
from bankchat.vault.service import (
    AccessDenied,
    AccountsWithBalances,
    Keyring,
    Vault,
    VaultIntegrityError,
    new_master_key,
)
from tests.units import in_session, in_unit
from tests.vault.test_service import TODAY, Clock, details, link, new_id

STORED_BALANCE = Balance("closingBooked", Decimal("1234.56"), "EUR", date(2026, 2, 28), False)


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(db_engine)


@pytest.fixture
def vault(sessions: async_sessionmaker[AsyncSession]) -> Vault:
    return Vault(sessions, Keyring(new_master_key()), clock=Clock())


async def read(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], person_id: str, purpose: Purpose
) -> AccountsWithBalances:
    return await in_unit(
        sessions,
        lambda tx: vault.read_accounts_with_balances(
            tx, person_id=person_id, actor="assistant", purpose=purpose
        ),
    )


async def test_accounts_come_with_their_balances(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    first = await link(vault, sessions, person, "acc-1")
    second = await link(vault, sessions, person, "acc-2", bank_id="bank-b")
    found = await read(vault, sessions, person, Purpose.USER_REQUEST)
    assert found.accounts == [details(first), details(second, "bank-b")]
    assert found.balances == {first: [STORED_BALANCE], second: [STORED_BALANCE]}


async def test_the_read_appends_one_entry_naming_accounts_and_balances(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    both = await link(vault, sessions, person, "acc-1")
    without = await link(vault, sessions, person, "acc-2", scopes=frozenset({"transactions"}))
    before = await in_session(sessions, lambda s: vault.access_log(s, person_id=person, limit=None))
    await read(vault, sessions, person, Purpose.USER_REQUEST)
    after = await in_session(sessions, lambda s: vault.access_log(s, person_id=person, limit=None))
    [entry] = after[: len(after) - len(before)]
    assert (entry.action, entry.actor, entry.purpose) == ("read", "assistant", Purpose.USER_REQUEST)
    assert entry.what == {
        "resource": "accounts_with_balances",
        "accounts": [both, without],
        "banks": ["bank-a"],
        "balances": [both],
        "count": 3,
    }


async def test_an_account_shared_without_balances_is_listed_without_them(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    # Balances are stored for it all the same: the grant, not storage, decides.
    account = await link(vault, sessions, person, scopes=frozenset({"transactions"}))
    found = await read(vault, sessions, person, Purpose.USER_REQUEST)
    assert [a.account_id for a in found.accounts] == [account]
    assert found.balances == {}


async def test_an_account_without_stored_balances_has_an_empty_list(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person, account = new_id(), new_id()
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.ensure_person_key(tx, person)
        await vault.grant(
            tx,
            person_id=person,
            account_id=account,
            bank_id="bank-a",
            scopes=frozenset({"balances"}),
            purposes=frozenset(Purpose),
            valid_until=TODAY + timedelta(days=90),
        )
        await vault.store_account(tx, person, details(account))
    assert (await read(vault, sessions, person, Purpose.USER_REQUEST)).balances == {account: []}


async def test_a_purpose_no_grant_allows_is_refused_and_audited(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, purposes=frozenset({Purpose.USER_REQUEST}))
    with pytest.raises(AccessDenied) as raised:
        await read(vault, sessions, person, Purpose.PAYMENT)
    assert raised.value.reason == "purpose not granted"
    [entry, *_] = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert entry.action == "read_denied"
    assert entry.what["resource"] == "accounts_with_balances"


async def test_accounts_whose_grant_refuses_the_purpose_are_left_out(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    allowed = await link(vault, sessions, person, "acc-1")
    await link(vault, sessions, person, "acc-2", purposes=frozenset({Purpose.USER_REQUEST}))
    found = await read(vault, sessions, person, Purpose.FRAUD_PROTECTION)
    assert [a.account_id for a in found.accounts] == [allowed]
    assert list(found.balances) == [allowed]


async def test_expired_and_revoked_grants_are_left_out(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person, "acc-1", valid_until=TODAY - timedelta(days=1))
    revoked = await link(vault, sessions, person, "acc-2")
    async with unit_of_work(sessions, InProcessBus()) as tx:
        await vault.revoke(tx, person_id=person, account_ids=[revoked], reason="person", actor="a")
    assert await read(vault, sessions, person, Purpose.USER_REQUEST) == AccountsWithBalances([], {})


async def test_nothing_linked_is_an_empty_read(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    assert await read(vault, sessions, person, Purpose.USER_REQUEST) == AccountsWithBalances([], {})
    [entry] = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    assert (entry.action, entry.what["count"]) == ("read", 0)


@pytest.mark.parametrize("purpose", ["user_request", None])
async def test_only_purpose_members_are_accepted(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], purpose: object
) -> None:
    person = new_id()
    await link(vault, sessions, person)
    with pytest.raises(TypeError):
        await in_unit(
            sessions,
            lambda tx: vault.read_accounts_with_balances(
                tx,
                person_id=person,
                actor="assistant",
                purpose=purpose,  # type: ignore[arg-type]
            ),
        )


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "The assistant read your account details and balances at Bank A"
            " to answer your request.",
        ),
        (
            "de",
            "Der Assistent hat deine Kontodaten und Kontostände bei Bank A gelesen,"
            " um deine Anfrage zu beantworten.",
        ),
    ],
)
async def test_the_entry_reads_as_plain_words(
    vault: Vault, sessions: async_sessionmaker[AsyncSession], language: str, sentence: str
) -> None:
    person = new_id()
    await link(vault, sessions, person)
    await read(vault, sessions, person, Purpose.USER_REQUEST)
    [entry, *_] = await in_session(sessions, lambda s: vault.access_log(s, person_id=person))
    names = {"bank-a": "Bank A"}
    assert describe(entry, "de" if language == "de" else "en", names.__getitem__) == sentence


async def test_stored_accounts_without_a_data_key_are_an_integrity_error(
    vault: Vault, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = new_id()
    await link(vault, sessions, person)
    async with db.transaction(sessions) as session:
        await session.execute(delete(VaultDataKey).where(VaultDataKey.person_id == person))
    with pytest.raises(VaultIntegrityError):
        await read(vault, sessions, person, Purpose.USER_REQUEST)
