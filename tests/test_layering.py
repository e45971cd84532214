"""Boundaries the import-linter contracts cannot see: table names in SQL text.

The contracts in pyproject.toml keep every module outside ``bankchat.vault`` from
importing the vault's tables, keys and cipher; this test also keeps them from naming the
vault's tables in hand-written SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import bankchat
from bankchat.db import Base
from bankchat.vault import models as vault_models

SOURCE = Path(bankchat.__file__).parent
ALLOWED = {SOURCE / "vault", SOURCE / "migrations"}
VAULT_TABLE_NAMES = sorted(
    str(mapper.local_table.name)
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == vault_models.__name__
)
VAULT_TABLES = re.compile(r"\b(" + "|".join(VAULT_TABLE_NAMES) + r")\b")


def test_no_module_outside_the_vault_names_its_tables() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}: {match.group(0)}"
        for path in SOURCE.rglob("*.py")
        if not any(path.is_relative_to(allowed) for allowed in ALLOWED)
        for match in VAULT_TABLES.finditer(path.read_text())
    ]
    assert offenders == []


def test_the_scan_finds_the_vault_tables_where_they_are_defined() -> None:
    models = (SOURCE / "vault" / "models.py").read_text()
    assert {"vault_transactions", "vault_data_keys", "audit_entries"} <= set(
        VAULT_TABLES.findall(models)
    )
