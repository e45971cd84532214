"""The command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bankchat.cli import app
from bankchat.config import get_settings
from bankchat.sandbox.generator import generate_world


def test_db_upgrade_creates_the_sqlite_database_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANKCHAT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "0004" in result.output
    assert (tmp_path / "data" / "bankchat.db").is_file()


def test_db_upgrade_keeps_the_instance_id_across_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANKCHAT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["db", "upgrade"]).output
        second = CliRunner().invoke(app, ["db", "upgrade"]).output
    finally:
        get_settings.cache_clear()
    instance_id = first.split("instance")[-1].strip()
    assert len(instance_id) == 36
    assert second.split("instance")[-1].strip() == instance_id


def test_sandbox_customers_lists_the_login_and_password_of_every_customer() -> None:
    world = generate_world(42, today=date.today(), customers_per_bank=1)
    result = CliRunner().invoke(
        app, ["sandbox", "customers", "--seed", "42", "--customers-per-bank", "1"]
    )
    assert result.exit_code == 0, result.output
    for customer in world.customers.values():
        assert customer.login in result.output
        assert customer.password in result.output
