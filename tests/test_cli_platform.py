"""The platform's commands: ``bankchat audit verify``, ``bankchat vault
rotate-master-key`` and ``bankchat sync``, each on a data directory of its own."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from bankchat.cli import app
from bankchat.config import Settings, get_settings
from bankchat.server import open_platform
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AccountDetails
from tests.conftest import LiveSandbox
from tests.platform_support import link, sign_up

PERSON = "4b1c9a3e-0000-4000-8000-000000000001"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data directory the commands use through the environment (key file mode)."""
    monkeypatch.setenv("BANKCHAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BANKCHAT_MASTER_KEY", raising=False)
    monkeypatch.setenv("BANKCHAT_PASSWORD_HASH_PROFILE", "light")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _record_events(settings: Settings, events: int = 3) -> None:
    async def run() -> None:
        async with open_platform(settings, []) as platform:
            async with platform.unit_of_work() as tx:
                await platform.vault.ensure_person_key(tx, PERSON)
            for n in range(events):
                async with platform.unit_of_work() as tx:
                    await platform.vault.record_event(
                        tx, person_id=PERSON, actor="test", action="note", what={"n": n}
                    )

    asyncio.run(run())


def test_audit_verify_reports_an_intact_chain(data_dir: Path) -> None:
    _record_events(get_settings())
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 3 entries in 1 chains" in result.output


def test_audit_verify_names_the_first_tampered_entry(data_dir: Path) -> None:
    _record_events(get_settings())
    with sqlite3.connect(data_dir / "bankchat.db") as connection:
        connection.execute(
            "UPDATE audit_entries SET what = ? WHERE seq = 2", (json.dumps({"n": 99}),)
        )
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"broken at entry 2 of person {PERSON}" in result.output


ACCOUNT = "4b1c9a3e-0000-4000-8000-0000000000aa"


def _store_account(settings: Settings) -> None:
    async def run() -> None:
        async with open_platform(settings, []) as platform, platform.unit_of_work() as tx:
            await platform.vault.ensure_person_key(tx, PERSON)
            await platform.vault.grant(
                tx,
                person_id=PERSON,
                account_id=ACCOUNT,
                bank_id="nordbank",
                scopes=frozenset({"balances"}),
                purposes=frozenset({Purpose.USER_REQUEST}),
                valid_until=date(2099, 1, 1),
            )
            await platform.vault.store_account(
                tx,
                PERSON,
                AccountDetails(
                    account_id=ACCOUNT,
                    bank_id="nordbank",
                    iban="DE02120300000000202051",
                    masked_pan=None,
                    name="Girokonto",
                    product=None,
                    currency="EUR",
                    kind="checking",
                    owner_name=None,
                ),
            )

    asyncio.run(run())


def _read_iban(settings: Settings) -> str | None:
    async def run() -> str | None:
        async with open_platform(settings, []) as platform:
            async with platform.unit_of_work() as tx:
                [account] = await platform.vault.read_accounts(
                    tx, person_id=PERSON, actor="test", purpose=Purpose.USER_REQUEST
                )
            return account.iban

    return asyncio.run(run())


def test_rotation_replaces_the_key_file_and_keeps_the_data_readable(data_dir: Path) -> None:
    _store_account(get_settings())
    old_key = (data_dir / "master.key").read_text()
    result = CliRunner().invoke(app, ["vault", "rotate-master-key"])
    assert result.exit_code == 0, result.output
    assert "re-wrapped 1 data keys" in result.output
    assert (data_dir / "master.key").read_text() != old_key
    assert not (data_dir / "master.key.next").exists()
    assert (data_dir / "master.key").stat().st_mode & 0o777 == 0o600
    [retired] = data_dir.glob("master.key.retired-*")
    assert retired.read_text() == old_key
    assert retired.stat().st_mode & 0o777 == 0o600
    # A fresh process holding only the new key file reads the data.
    assert _read_iban(get_settings()) == "DE02120300000000202051"


def test_rotation_with_the_environment_key_moves_data_keys_off_the_previous_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"n" * 32).decode()
    monkeypatch.setenv("BANKCHAT_MASTER_KEY", old)
    get_settings.cache_clear()
    _store_account(get_settings())
    monkeypatch.setenv("BANKCHAT_MASTER_KEY", new)
    monkeypatch.setenv("BANKCHAT_MASTER_KEY_PREVIOUS", old)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["vault", "rotate-master-key"])
    assert result.exit_code == 0, result.output
    monkeypatch.delenv("BANKCHAT_MASTER_KEY_PREVIOUS")
    get_settings.cache_clear()
    assert _read_iban(get_settings()) == "DE02120300000000202051"


def test_sync_command_syncs_every_valid_connection_with_a_progress_table(
    data_dir: Path, sandbox: LiveSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    banks_file = data_dir / "banks.json"
    banks_file.write_text(
        json.dumps(
            {
                "banks": [
                    {
                        "id": "nordbank",
                        "name": "Nordbank Test",
                        "base_url": sandbox.bank_url("nordbank"),
                        "country": "DE",
                        "currency": "EUR",
                        "language": "de",
                        "primary_color": "#224466",
                        "accent_color": "#ffcc00",
                    }
                ]
            }
        )
    )
    monkeypatch.setenv("BANKCHAT_BANKS_FILE", str(banks_file))
    monkeypatch.setenv("BANKCHAT_PUBLIC_URL", "http://platform.test")
    get_settings.cache_clear()
    settings = get_settings()

    async def linked() -> str:
        from bankchat.app import create_app
        from bankchat.banking.registry import load_banks_file

        async with open_platform(
            settings, load_banks_file(banks_file), clock=lambda: sandbox.world.clock()
        ) as platform:
            person = await sign_up(create_app(platform, background=False))
            await link(person, "nordbank", accounts=["nordbank-c1-chk"])
            await person.api.aclose()
            return person.email

    email = asyncio.run(linked())
    result = CliRunner().invoke(app, ["sync", "--person", email])
    assert result.exit_code == 0, result.output
    assert "nordbank" in result.output
    assert "valid" in result.output
    unknown = CliRunner().invoke(app, ["sync", "--person", "nobody@example.org"])
    assert unknown.exit_code == 1
    assert "no person" in unknown.output


async def test_the_demo_person_is_created_once_and_can_log_in(platform_app: FastAPI) -> None:
    from bankchat.cli import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo_person

    platform = platform_app.state.platform
    await ensure_demo_person(platform)
    await ensure_demo_person(platform)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform_app), base_url="http://platform.test"
    ) as api:
        response = await api.post(
            "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
    assert response.status_code == 200, response.text
