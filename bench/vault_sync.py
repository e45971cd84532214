"""Vault and sync benchmark: syncing an account with 10,000 transactions, reading and
decrypting them again, and appending to the audit chain.

Run with ``python -m bench.vault_sync`` (``--database postgresql`` for the PostgreSQL
server on loopback). Embedded mode as ``bankchat demo`` runs it: the sandbox bank is
served by uvicorn in a thread of this process, the platform talks to it over loopback
HTTP, the database is a SQLite file. A person signs up and links the account through
the bank's real SCA pages; then 10,000 transactions appear at the bank and one sync
(person present, as right after linking: the whole history, not a window since the
last sync) fetches, encrypts and stores them. Baseline in the same run: the same
10,000 transactions fetched by the NextGenPSD2 client alone (no decryption, no
storage), so the ratio says what the vault adds to the network part. Each figure is the
median of ``--runs`` runs, each on a fresh database and world.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import serve
from tests.platform_support import link, sign_up
from tests.sandbox.worlds import small_world

from bankchat import db
from bankchat.app import create_app
from bankchat.banking.psd2_client import Psd2Client
from bankchat.banking.sync import sync_connection
from bankchat.cli import bank_entries_for
from bankchat.config import Settings
from bankchat.platform import Platform
from bankchat.sandbox.model import BookingStatus, Category, Transaction
from bankchat.sandbox.world import World
from bankchat.server import open_platform
from bankchat.vault.purposes import Purpose

ACCOUNT = "nordbank-c1-chk"
TRANSACTIONS = 10_000
AUDIT_APPENDS = 1_000
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Run:
    sync_s: float
    added: int
    resync_s: float
    fetch_s: float
    read_ms: float
    read_rows: int
    appends_per_s: float


def add_history(world: World, count: int) -> None:
    """``count`` booked entries spread over the last two years, balance kept positive."""
    today = world.today()
    for n in range(count):
        day = today - timedelta(days=n % 700)
        credit = n % 4 == 0
        world.record(
            Transaction(
                id=f"bench-{n}",
                account_id=ACCOUNT,
                entry_reference=f"bench-ref-{n}",
                amount=Decimal("160.00") if credit else Decimal("-39.90"),
                currency="EUR",
                status=BookingStatus.BOOKED,
                value_date=day,
                booking_date=day,
                category=Category.INCOME if credit else Category.GROCERIES,
                counterparty_name="Arbeitgeber AG" if credit else "Markt 24 Filiale Süd",
                remittance=f"Beleg {n} Kartenzahlung 2026",
            ),
            notify=False,
        )


def timed(start: float) -> float:
    return time.perf_counter() - start


async def one_run(database: str, data_dir: Path) -> Run:
    """Link, then sync 10,000 new transactions; the sandbox is served for this run only."""
    world = small_world()
    sandbox = serve(world, clearing_interval=3600.0)
    live = next(sandbox)
    try:
        return await _measure(database, data_dir, world, live.url)
    finally:
        sandbox.close()


async def _measure(database: str, data_dir: Path, world: World, sandbox_url: str) -> Run:

    banks = bank_entries_for(world.banks.values(), sandbox_url, None)
    settings = Settings(
        data_dir=data_dir,
        public_url="http://platform.test",
        master_key=base64.b64encode(uuid.uuid4().bytes * 2).decode(),
        password_hash_profile="light",
    )
    schema = f"bench_{uuid.uuid4().hex[:12]}" if database == "postgresql" else None
    engine = await _engine(data_dir, schema)
    try:
        async with open_platform(
            settings, banks, engine=engine, clock=lambda: world.clock()
        ) as platform:
            return await _scenario(platform, world, sandbox_url)
    finally:
        await engine.dispose()
        if schema:
            await _schema(f'DROP SCHEMA "{schema}" CASCADE')


async def _schema(statement: str) -> None:
    admin = db.create_engine(POSTGRES_URL)
    async with admin.begin() as connection:
        await connection.execute(text(statement))
    await admin.dispose()


async def _engine(data_dir: Path, schema: str | None) -> AsyncEngine:
    """A migrated database: a SQLite file, or a PostgreSQL schema of its own."""
    if schema is None:
        engine = db.create_engine(f"sqlite+aiosqlite:///{data_dir / 'bench.db'}")
    else:
        await _schema(f'CREATE SCHEMA "{schema}"')
        engine = db.create_engine(
            POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}}
        )
    await db.upgrade(engine)
    return engine


async def _scenario(platform: Platform, world: World, sandbox_url: str) -> Run:
    app = create_app(platform, background=False)
    person = await sign_up(app)
    connection_id = await link(person, "nordbank", accounts=[ACCOUNT])
    add_history(world, TRANSACTIONS)
    # As on the first sync of a new link: the whole history, not the window since the
    # cursor the link-time sync set.
    async with db.transaction(platform.sessions) as session:
        await session.execute(text("UPDATE bank_accounts SET synced_through = NULL"))

    start = time.perf_counter()
    report = await sync_connection(platform, connection_id, psu_ip="127.0.0.1")
    sync_s = timed(start)

    start = time.perf_counter()
    await sync_connection(platform, connection_id, psu_ip="127.0.0.1")
    resync_s = timed(start)

    fetch_s = await _fetch_only(platform, world, sandbox_url)

    reads = []
    rows = 0
    for _ in range(5):
        start = time.perf_counter()
        async with platform.unit_of_work() as tx:
            stored = await platform.vault.read_transactions(
                tx, person_id=person.id, actor="bench", purpose=Purpose.USER_REQUEST
            )
        reads.append(timed(start) * 1000)
        rows = len(stored)

    start = time.perf_counter()
    for n in range(AUDIT_APPENDS):
        async with platform.unit_of_work() as tx:
            await platform.vault.record_event(
                tx, person_id=person.id, actor="bench", action="bench", what={"n": n}
            )
    appends = AUDIT_APPENDS / timed(start)
    await person.api.aclose()
    return Run(
        sync_s=sync_s,
        added=report.added,
        resync_s=resync_s,
        fetch_s=fetch_s,
        read_ms=statistics.median(reads),
        read_rows=rows,
        appends_per_s=appends,
    )


async def _fetch_only(platform: Platform, world: World, sandbox_url: str) -> float:
    """The baseline: the same report fetched by the client alone, with the person present."""
    [consent_id] = [c.id for c in world.consents.values() if c.status.value == "valid"]
    client = Psd2Client(platform.http, f"{sandbox_url}/banks/nordbank")
    accounts = await client.list_accounts(consent_id, psu_ip="127.0.0.1")
    account = next(a for a in accounts if a.resource_id == ACCOUNT)
    start = time.perf_counter()
    records = await client.transactions(
        consent_id,
        account,
        date_from=world.today() - timedelta(days=730),
        psu_ip="127.0.0.1",
    )
    seconds = timed(start)
    assert len(records) >= TRANSACTIONS
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(asyncio.run(one_run(args.database, Path(tmp))))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    sync_s = med([r.sync_s for r in runs])
    fetch_s = med([r.fetch_s for r in runs])
    table = Table(title=f"Vault and sync ({args.database}, median of {args.runs} runs)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        f"sync of {runs[0].added:,} new transactions",
        f"{sync_s:.2f} s ({runs[0].added / sync_s:,.0f} rows/s)",
    )
    table.add_row("baseline: fetch only (client, no vault)", f"{fetch_s:.2f} s")
    table.add_row("ratio sync / fetch", f"{sync_s / fetch_s:.2f}x")
    table.add_row("re-sync, nothing new", f"{med([r.resync_s for r in runs]) * 1000:.0f} ms")
    table.add_row(
        f"read + decrypt {runs[0].read_rows:,} transactions",
        f"{med([r.read_ms for r in runs]):.0f} ms",
    )
    table.add_row(
        "audit appends (own transaction each)",
        f"{med([r.appends_per_s for r in runs]):,.0f} /s",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
