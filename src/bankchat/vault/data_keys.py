"""Per-person data keys: creating them, unwrapping them (with a cache), rotating the
master key they are wrapped under, and forgetting them when a person is erased.

A person's ``PersonCipher`` is what seals and opens their bank data; a data key is created
the first time something of theirs is stored.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.config import Settings
from bankchat.db import transaction
from bankchat.vault.crypto import (
    PersonCipher,
    VaultIntegrityError,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from bankchat.vault.keys import Keyring, MasterKey, begin_rotation, finish_rotation
from bankchat.vault.models import VaultDataKey, insert_ignoring_conflict, table_of

DATA_KEY_VERSION = 1
DEFAULT_KEY_CACHE_SIZE = 1024
_BATCH = 500


@dataclass(frozen=True, slots=True)
class _CachedKey:
    wrapped: bytes
    cipher: PersonCipher


class DataKeys:
    """The people's data keys, wrapped under the keyring's master keys; unwrapped ones are
    cached (least recently used first out) while the stored key is unchanged."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keyring: Keyring,
        *,
        clock: Callable[[], datetime],
        cache_size: int = DEFAULT_KEY_CACHE_SIZE,
    ) -> None:
        self._sessions = sessions
        self._keyring = keyring
        self._clock = clock
        self._key_cache_size = cache_size
        self._key_cache: OrderedDict[str, _CachedKey] = OrderedDict()

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    async def cipher(
        self, session: AsyncSession, person_id: str, *, create: bool
    ) -> PersonCipher | None:
        """The person's cipher; a new data key if ``create`` and they have none."""
        query = select(
            VaultDataKey.version, VaultDataKey.wrapped, VaultDataKey.master_key_id
        ).where(VaultDataKey.person_id == person_id)
        row = (await session.execute(query)).one_or_none()
        if row is None and create:
            await self._create_data_key(session, person_id)
            row = (await session.execute(query)).one()
        if row is None:
            # Erased, possibly by another process: forget any copy of the old key.
            self._key_cache.pop(person_id, None)
            return None
        return self.cipher_of(person_id, row.version, row.wrapped, row.master_key_id)

    def cipher_of(
        self, person_id: str, version: int, wrapped: bytes, master_key_id: str
    ) -> PersonCipher:
        """The cipher of the data key stored as ``wrapped`` (from the cache while the
        stored key is the one cached)."""
        cached = self._key_cache.get(person_id)
        if cached is not None and cached.wrapped == wrapped:
            self._key_cache.move_to_end(person_id)
            return cached.cipher
        master = self._keyring.get(master_key_id)
        data_key = unwrap_data_key(master, person_id, version, wrapped)
        cipher = PersonCipher(person_id, version, data_key)
        self._key_cache[person_id] = _CachedKey(wrapped, cipher)
        self._key_cache.move_to_end(person_id)
        while len(self._key_cache) > self._key_cache_size:
            self._key_cache.popitem(last=False)
        return cipher

    async def _create_data_key(self, session: AsyncSession, person_id: str) -> None:
        master = self._keyring.current
        values = {
            "person_id": person_id,
            "version": DATA_KEY_VERSION,
            "wrapped": wrap_data_key(master, person_id, DATA_KEY_VERSION, new_data_key()),
            "master_key_id": master.key_id,
            "created_at": self._clock(),
        }
        # Another transaction may create the key at the same moment; theirs then wins.
        dialect = session.get_bind().dialect.name
        await session.execute(
            insert_ignoring_conflict(dialect, VaultDataKey, values, ["person_id"])
        )

    async def existing_cipher(self, session: AsyncSession, person_id: str) -> PersonCipher:
        cipher = await self.cipher(session, person_id, create=False)
        if cipher is None:
            raise VaultIntegrityError(f"person {person_id} has stored data but no data key")
        return cipher

    def forget(self, person_id: str) -> None:
        """Drop any cached copy of the person's data key (found deleted by another process)."""
        self._key_cache.pop(person_id, None)

    async def shred(self, session: AsyncSession, person_id: str) -> None:
        """Delete the person's data key, which makes every ciphertext of theirs unreadable."""
        await session.execute(delete(VaultDataKey).where(VaultDataKey.person_id == person_id))
        self._key_cache.pop(person_id, None)

    async def rotate_configured_master_key(self, settings: Settings) -> int:
        """Move every data key to the new master key (see ``keys.begin_rotation``).

        The new key is on disk before the first re-wrap and the old one is replaced only
        after the commit, so a rotation cut short at any point loses nothing and resumes.
        Returns the number of data keys re-wrapped.
        """
        new = begin_rotation(settings)
        count = await self.rotate_master_key(new)
        finish_rotation(settings)
        return count

    async def rotate_master_key(self, new: MasterKey) -> int:
        """Re-wrap every data key under ``new`` in one transaction; the number re-wrapped.

        ``new`` becomes the current key first, so keys created meanwhile are wrapped
        under it; the old keys stay in the keyring for anything not yet re-wrapped.
        """
        self._keyring.promote(new)
        table = table_of(VaultDataKey)
        rewrap = (
            update(table)
            .where(table.c.person_id == bindparam("target"))
            .values(wrapped=bindparam("new_wrapped"), master_key_id=bindparam("new_key_id"))
        )
        count = 0
        async with transaction(self._sessions) as session:
            # Until no data key is left under another master key: that also catches keys
            # another process created under the old key while this rotation ran.
            while True:
                batch = (
                    await session.execute(
                        select(
                            VaultDataKey.person_id,
                            VaultDataKey.version,
                            VaultDataKey.wrapped,
                            VaultDataKey.master_key_id,
                        )
                        .where(VaultDataKey.master_key_id != new.key_id)
                        .order_by(VaultDataKey.person_id)
                        .limit(_BATCH)
                        .with_for_update()
                    )
                ).all()
                if not batch:
                    break
                changes = [
                    {
                        "target": row.person_id,
                        "new_wrapped": wrap_data_key(
                            new,
                            row.person_id,
                            row.version,
                            unwrap_data_key(
                                self._keyring.get(row.master_key_id),
                                row.person_id,
                                row.version,
                                row.wrapped,
                            ),
                        ),
                        "new_key_id": new.key_id,
                    }
                    for row in batch
                ]
                await session.execute(rewrap, changes)
                count += len(changes)
        return count
