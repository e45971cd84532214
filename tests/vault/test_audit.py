"""The audit chain: appending, verifying, and catching every kind of tampering."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat import db
from bankchat.vault import audit
from bankchat.vault.models import AuditEntry, AuditHead
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import ChainReport

# Ids that sort the same way under every collation, so "first broken" is well defined.
ALICE = "a0000000-0000-4000-8000-000000000001"
BOB = "b0000000-0000-4000-8000-000000000002"
CAROL = "c0000000-0000-4000-8000-000000000003"
T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(db_engine)


async def append_many(
    sessions: async_sessionmaker[AsyncSession], person_id: str, count: int
) -> None:
    async with db.transaction(sessions) as session:
        for n in range(count):
            await audit.append(
                session,
                person_id=person_id,
                actor="assistant",
                action="read",
                purpose=Purpose.USER_REQUEST,
                what={"resource": "balances", "accounts": [f"acc-{n}"], "count": n},
                now=T0 + timedelta(seconds=n),
            )


async def verify(sessions: async_sessionmaker[AsyncSession]) -> ChainReport:
    async with db.transaction(sessions) as session:
        return await audit.verify(session)


async def tamper(sessions: async_sessionmaker[AsyncSession], statement: Any) -> None:
    async with db.transaction(sessions) as session:
        await session.execute(statement)


async def test_entries_link_to_the_previous_hash(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db.transaction(sessions) as session:
        first = await audit.append(
            session, person_id=ALICE, actor="a", action="link", purpose=None, what={}, now=T0
        )
        second = await audit.append(
            session, person_id=ALICE, actor="a", action="sync", purpose=None, what={}, now=T0
        )
    async with sessions() as session:
        stored = (await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
    assert (first.seq, second.seq) == (1, 2)
    assert stored[0].prev_hash == audit.GENESIS_HASH
    assert stored[1].prev_hash == first.entry_hash


async def test_chains_are_per_person(sessions: async_sessionmaker[AsyncSession]) -> None:
    await append_many(sessions, ALICE, 2)
    await append_many(sessions, BOB, 1)
    async with sessions() as session:
        heads = dict((await session.execute(select(AuditHead.person_id, AuditHead.seq))).all())
    assert heads == {ALICE: 2, BOB: 1}


async def test_many_entries_across_people_verify(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for person_id, count in ((ALICE, 40), (BOB, 25), (CAROL, 1)):
        await append_many(sessions, person_id, count)
    report = await verify(sessions)
    assert report.ok
    assert (report.entries_checked, report.chains_checked) == (66, 3)
    assert report.first_broken is None


async def test_empty_audit_verifies(sessions: async_sessionmaker[AsyncSession]) -> None:
    report = await verify(sessions)
    assert report.ok
    assert report.entries_checked == 0


async def test_edited_what_is_detected(sessions: async_sessionmaker[AsyncSession]) -> None:
    await append_many(sessions, ALICE, 5)
    await tamper(
        sessions,
        update(AuditEntry)
        .where(AuditEntry.person_id == ALICE, AuditEntry.seq == 3)
        .values(what=json.dumps({"resource": "balances", "accounts": [], "count": 0})),
    )
    report = await verify(sessions)
    assert not report.ok
    assert report.first_broken == (ALICE, 3)
    assert report.reason == "hash mismatch"


async def test_edited_purpose_is_detected(sessions: async_sessionmaker[AsyncSession]) -> None:
    await append_many(sessions, ALICE, 5)
    await tamper(
        sessions,
        update(AuditEntry)
        .where(AuditEntry.person_id == ALICE, AuditEntry.seq == 2)
        .values(purpose=Purpose.FRAUD_PROTECTION.value),
    )
    report = await verify(sessions)
    assert (report.ok, report.first_broken, report.reason) == (False, (ALICE, 2), "hash mismatch")


async def test_edit_with_recomputed_hash_breaks_the_next_link(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 5)
    async with db.transaction(sessions) as session:
        entry = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.person_id == ALICE, AuditEntry.seq == 2)
            )
        ).one()
        entry.actor = "someone else"
        entry.entry_hash = audit.entry_hash(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            person_id=entry.person_id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            purpose=entry.purpose,
            what=json.loads(entry.what),
        )
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 3), "broken link")


async def test_deleted_middle_entry_is_detected(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 5)
    await tamper(
        sessions, delete(AuditEntry).where(AuditEntry.person_id == ALICE, AuditEntry.seq == 3)
    )
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 3), "missing entries")


async def test_deleted_last_entry_is_detected(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 5)
    await tamper(
        sessions, delete(AuditEntry).where(AuditEntry.person_id == ALICE, AuditEntry.seq == 5)
    )
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 5), "missing entries")


async def test_deleting_a_whole_chain_is_detected(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 3)
    await append_many(sessions, BOB, 3)
    await tamper(sessions, delete(AuditEntry).where(AuditEntry.person_id == ALICE))
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 1), "missing entries")


async def test_reordered_entries_are_detected(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 5)
    person = AuditEntry.person_id == ALICE
    await tamper(sessions, update(AuditEntry).where(person, AuditEntry.seq == 3).values(seq=-3))
    await tamper(sessions, update(AuditEntry).where(person, AuditEntry.seq == 4).values(seq=3))
    await tamper(sessions, update(AuditEntry).where(person, AuditEntry.seq == -3).values(seq=4))
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 3), "broken link")


async def test_moved_head_is_detected(sessions: async_sessionmaker[AsyncSession]) -> None:
    await append_many(sessions, ALICE, 5)
    await tamper(
        sessions,
        update(AuditHead).where(AuditHead.person_id == ALICE).values(entry_hash="f" * 64),
    )
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 5), "head mismatch")


async def test_entry_appended_behind_the_heads_back_is_detected(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 3)
    await tamper(sessions, update(AuditHead).where(AuditHead.person_id == ALICE).values(seq=2))
    report = await verify(sessions)
    assert (report.first_broken, report.reason) == ((ALICE, 3), "head mismatch")


async def test_first_broken_entry_is_named_across_people(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for person_id in (ALICE, BOB, CAROL):
        await append_many(sessions, person_id, 4)
    for person_id, seq in ((CAROL, 1), (BOB, 2)):
        await tamper(
            sessions,
            update(AuditEntry)
            .where(AuditEntry.person_id == person_id, AuditEntry.seq == seq)
            .values(actor="forged"),
        )
    report = await verify(sessions)
    assert report.first_broken == (BOB, 2)
    assert report.entries_checked == 4 + 1


async def test_concurrent_appends_for_one_person_keep_one_chain(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def one(n: int) -> None:
        async with db.transaction(sessions) as session:
            await audit.append(
                session,
                person_id=ALICE,
                actor="assistant",
                action="read",
                purpose=Purpose.PAYMENT,
                what={"n": n},
                now=datetime.now(UTC),
            )

    await asyncio.gather(*(one(n) for n in range(20)))
    report = await verify(sessions)
    assert report.ok
    assert report.entries_checked == 20
    async with sessions() as session:
        seqs = (await session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))).all()
    assert list(seqs) == list(range(1, 21))


async def test_entries_come_newest_first_in_pages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await append_many(sessions, ALICE, 5)
    await append_many(sessions, BOB, 2)
    async with sessions() as session:
        page = await audit.entries(session, ALICE, limit=2)
        older = await audit.entries(session, ALICE, limit=10, before_seq=page[-1].seq)
        everything = await audit.entries(session, ALICE, limit=None)
    assert [e.seq for e in page] == [5, 4]
    assert [e.seq for e in older] == [3, 2, 1]
    assert len(everything) == 5


async def test_entries_read_back_as_written(sessions: async_sessionmaker[AsyncSession]) -> None:
    what = {"reason": "Kündigung – Grüße 💶", "accounts": ("x", "y")}
    async with db.transaction(sessions) as session:
        written = await audit.append(
            session,
            person_id=ALICE,
            actor="person:1",
            action="revoke",
            purpose=Purpose.CUSTOMER_SUPPORT,
            what=what,
            now=T0,
        )
    async with sessions() as session:
        (read,) = await audit.entries(session, ALICE)
    assert read == written
    assert read.at == T0
    assert read.what == {"reason": "Kündigung – Grüße 💶", "accounts": ["x", "y"]}
    assert (await verify(sessions)).ok


async def test_naive_times_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with db.transaction(sessions) as session:
        with pytest.raises(ValueError, match="timezone"):
            await audit.append(
                session,
                person_id=ALICE,
                actor="a",
                action="x",
                purpose=None,
                what={},
                now=datetime(2026, 1, 1),
            )
        count = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert count == 0
