"""The audit chain: per person, every read, refused read and change of their bank data.

Each entry's hash covers the previous entry's hash and the entry itself, so editing,
removing or reordering an entry breaks the chain from there on. Chains are per person (the
unit the database is sharded by); the head row of a chain is locked while appending, so
concurrent appends for one person queue up instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.vault.models import (
    ID_LENGTH,
    AuditEntry,
    AuditHead,
    insert_ignoring_conflict,
    utc,
)
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AuditEntryView, ChainReport

GENESIS_HASH = "0" * 64
MAX_ACTOR_LENGTH = 100
MAX_ACTION_LENGTH = 40
_VERIFY_BATCH = 1000


def canonical_json(value: Any) -> str:
    """The one JSON text for ``value``: sorted keys, no spaces, unicode kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _timestamp(at: datetime) -> str:
    return utc(at).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    person_id: str,
    at: datetime,
    actor: str,
    action: str,
    purpose: str | None,
    what: Any,
) -> str:
    """The hash of one entry, chained to the one before it."""
    body = canonical_json(
        {
            "seq": seq,
            "person_id": person_id,
            "at": _timestamp(at),
            "actor": actor,
            "action": action,
            "purpose": purpose,
            "what": what,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


async def append(
    session: AsyncSession,
    *,
    person_id: str,
    actor: str,
    action: str,
    purpose: Purpose | None,
    what: dict[str, Any],
    now: datetime,
) -> AuditEntryView:
    """Append one entry to ``person_id``'s chain inside the caller's transaction."""
    if not 0 < len(person_id) <= ID_LENGTH:
        raise ValueError("person_id must be 1 to 36 characters")
    if not 0 < len(actor) <= MAX_ACTOR_LENGTH:
        raise ValueError(f"actor must be 1 to {MAX_ACTOR_LENGTH} characters")
    if not 0 < len(action) <= MAX_ACTION_LENGTH:
        raise ValueError(f"action must be 1 to {MAX_ACTION_LENGTH} characters")
    if purpose is not None and not isinstance(purpose, Purpose):
        raise TypeError("purpose must be a Purpose")
    if now.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    at = now.astimezone(UTC)
    what_text = canonical_json(what)
    # What is hashed is what verify will read back, e.g. tuples become lists.
    stored_what: dict[str, Any] = json.loads(what_text)
    purpose_value = purpose.value if purpose is not None else None

    dialect = session.get_bind().dialect.name
    await session.execute(
        insert_ignoring_conflict(
            dialect,
            AuditHead,
            {"person_id": person_id, "seq": 0, "entry_hash": GENESIS_HASH},
            ["person_id"],
        )
    )
    head = (
        await session.execute(
            select(AuditHead.seq, AuditHead.entry_hash)
            .where(AuditHead.person_id == person_id)
            .with_for_update()
        )
    ).one()
    seq = head.seq + 1
    new_hash = entry_hash(
        prev_hash=head.entry_hash,
        seq=seq,
        person_id=person_id,
        at=at,
        actor=actor,
        action=action,
        purpose=purpose_value,
        what=stored_what,
    )
    await session.execute(
        insert(AuditEntry).values(
            person_id=person_id,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            purpose=purpose_value,
            what=what_text,
            prev_hash=head.entry_hash,
            entry_hash=new_hash,
        )
    )
    await session.execute(
        update(AuditHead)
        .where(AuditHead.person_id == person_id)
        .values(seq=seq, entry_hash=new_hash)
    )
    return AuditEntryView(
        seq=seq,
        person_id=person_id,
        at=at,
        actor=actor,
        action=action,
        purpose=purpose,
        what=stored_what,
        entry_hash=new_hash,
    )


def _view(entry: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        seq=entry.seq,
        person_id=entry.person_id,
        at=utc(entry.at),
        actor=entry.actor,
        action=entry.action,
        purpose=Purpose(entry.purpose) if entry.purpose is not None else None,
        what=json.loads(entry.what),
        entry_hash=entry.entry_hash,
    )


async def entries(
    session: AsyncSession,
    person_id: str,
    *,
    limit: int | None = 50,
    before_seq: int | None = None,
) -> list[AuditEntryView]:
    """``person_id``'s entries, newest first; ``before_seq`` pages back from there."""
    query = (
        select(AuditEntry).where(AuditEntry.person_id == person_id).order_by(AuditEntry.seq.desc())
    )
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if limit is not None:
        query = query.limit(limit)
    return [_view(entry) for entry in (await session.scalars(query)).all()]


@dataclass
class _ChainWalk:
    """Where the walk through one person's chain has got to."""

    person_id: str
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    head_seq: int | None = None
    head_hash: str | None = None

    def step(self, row: Row[*tuple[Any, ...]]) -> tuple[int, str] | None:
        """Check the next entry; (seq, reason) of the break if it does not verify."""
        if row.seq != self.expected_seq:
            return self.expected_seq, "missing entries"
        if row.prev_hash != self.prev_hash:
            return row.seq, "broken link"
        recomputed = entry_hash(
            prev_hash=row.prev_hash,
            seq=row.seq,
            person_id=row.person_id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            purpose=row.purpose,
            what=json.loads(row.what),
        )
        if recomputed != row.entry_hash:
            return row.seq, "hash mismatch"
        self.prev_hash = row.entry_hash
        self.expected_seq += 1
        return None

    def finish(self) -> tuple[int, str] | None:
        """Check the head against the last entry; (seq, reason) if they disagree."""
        last_seq = self.expected_seq - 1
        if self.head_seq is None:
            return last_seq, "head mismatch"
        if self.head_seq > last_seq:
            return last_seq + 1, "missing entries"
        if self.head_seq < last_seq:
            return self.head_seq + 1, "head mismatch"
        if self.head_hash != self.prev_hash:
            return last_seq, "head mismatch"
        return None


async def _first_headless_gap(session: AsyncSession) -> str | None:
    """The first person whose head names entries although none are stored."""
    query = (
        select(AuditHead.person_id)
        .where(
            AuditHead.seq > 0,
            ~exists().where(AuditEntry.person_id == AuditHead.person_id),
        )
        .order_by(AuditHead.person_id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def verify(session: AsyncSession) -> ChainReport:
    """Recompute every chain, streaming; name the first entry that does not verify."""
    query = (
        select(
            AuditEntry.person_id,
            AuditEntry.seq,
            AuditEntry.at,
            AuditEntry.actor,
            AuditEntry.action,
            AuditEntry.purpose,
            AuditEntry.what,
            AuditEntry.prev_hash,
            AuditEntry.entry_hash,
            AuditHead.seq.label("head_seq"),
            AuditHead.entry_hash.label("head_hash"),
        )
        .outerjoin(AuditHead, AuditHead.person_id == AuditEntry.person_id)
        .order_by(AuditEntry.person_id, AuditEntry.seq)
        .execution_options(yield_per=_VERIFY_BATCH)
    )
    entries_checked = 0
    chains_checked = 0
    walk: _ChainWalk | None = None
    broken: tuple[str, int, str] | None = None
    result = await session.stream(query)
    async for row in result:
        if walk is None or row.person_id != walk.person_id:
            if walk is not None and (problem := walk.finish()) is not None:
                broken = (walk.person_id, *problem)
                break
            walk = _ChainWalk(row.person_id, head_seq=row.head_seq, head_hash=row.head_hash)
            chains_checked += 1
        if (problem := walk.step(row)) is not None:
            broken = (walk.person_id, *problem)
            break
        entries_checked += 1
    else:
        if walk is not None and (problem := walk.finish()) is not None:
            broken = (walk.person_id, *problem)
    await result.close()

    headless = await _first_headless_gap(session)
    if headless is not None and (broken is None or (headless, 1) < broken[:2]):
        broken = (headless, 1, "missing entries")
    return ChainReport(
        ok=broken is None,
        entries_checked=entries_checked,
        chains_checked=chains_checked,
        first_broken=(broken[0], broken[1]) if broken is not None else None,
        reason=broken[2] if broken is not None else None,
    )
