"""Boundaries the import-linter contracts cannot see: table names in SQL text.

The contracts in pyproject.toml keep every module outside ``bankchat.vault`` from
importing the vault's tables, keys and cipher, and every domain from importing another
domain's tables; these tests also keep them from naming those tables in hand-written SQL.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import bankchat
from bankchat.db import Base

SOURCE = Path(bankchat.__file__).parent
MIGRATIONS = SOURCE / "migrations"
DOMAINS = ("assistant", "banking", "identity", "messaging", "vault")


def table_names(domain: str) -> list[str]:
    models = importlib.import_module(f"bankchat.{domain}.models")
    return sorted(
        str(mapper.local_table.name)
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == models.__name__
    )


def offenders(pattern: re.Pattern[str], *allowed: Path) -> list[str]:
    """Where a module outside ``allowed`` matches ``pattern``."""
    return [
        f"{path.relative_to(SOURCE)}: {match.group(0)}"
        for path in SOURCE.rglob("*.py")
        if not any(path.is_relative_to(each) for each in allowed)
        for match in pattern.finditer(path.read_text())
    ]


def named_in_sql(names: list[str]) -> re.Pattern[str]:
    """A table name in SQL text: after a keyword that takes a table, or quoted on its own
    (``text("... FROM people")``, ``table("people")``). Names such as ``people`` or
    ``messages`` are ordinary words in prose, hence the context."""
    alternatives = "|".join(names)
    return re.compile(
        rf"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS)\s+\\?[\"'`]?({alternatives})\b"
        rf"|[\"']({alternatives})\\?[\"']"
    )


VAULT_TABLE_NAMES = table_names("vault")
VAULT_TABLES = re.compile(r"\b(" + "|".join(VAULT_TABLE_NAMES) + r")\b")


def test_no_module_outside_the_vault_names_its_tables() -> None:
    assert offenders(VAULT_TABLES, SOURCE / "vault", MIGRATIONS) == []


def test_the_scan_finds_the_vault_tables_where_they_are_defined() -> None:
    models = (SOURCE / "vault" / "models.py").read_text()
    assert {"vault_transactions", "vault_data_keys", "audit_entries"} <= set(
        VAULT_TABLES.findall(models)
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_module_outside_a_domain_names_its_tables_in_sql(domain: str) -> None:
    assert offenders(named_in_sql(table_names(domain)), SOURCE / domain, MIGRATIONS) == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_sql_scan_finds_every_table_where_it_is_defined(domain: str) -> None:
    names = table_names(domain)
    assert names
    models = (SOURCE / domain / "models.py").read_text()
    found = {name for match in named_in_sql(names).finditer(models) for name in match.groups()}
    assert found - {None} == set(names)


def test_the_sql_scan_sees_table_names_in_queries_not_in_prose() -> None:
    pattern = named_in_sql(["people", "messages"])
    assert pattern.search('text("SELECT id FROM people WHERE id = :id")')
    assert pattern.search('INSERT INTO "messages" VALUES (1)')
    assert pattern.search('"DELETE FROM \\"messages\\""')
    assert pattern.search('table("people")')
    assert not pattern.search("# people send messages from people they know")
    assert not pattern.search("``people`` and ``messages`` in a docstring")
