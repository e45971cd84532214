"""The bank registry: entries, lookups, and banks configured in a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bankchat.banking.registry import BankEntry, BankRegistry, UnknownBank, load_banks_file
from bankchat.errors import NotFound

SECRET = "very-secret-partner-key"


def bank(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "lindenbank",
        "name": "Lindenbank",
        "base_url": "http://127.0.0.1:8001/banks/lindenbank",
        "standard": "nextgenpsd2",
        "country": "DE",
        "currency": "EUR",
        "language": "de",
        "primary_color": "#2e6b3f",
        "accent_color": "#F2C14E",
        "partner_base_url": "http://127.0.0.1:8001/banks/lindenbank/partner/v1",
        "partner_secret": SECRET,
    }
    fields.update(overrides)
    return fields


def entry(**overrides: Any) -> BankEntry:
    return BankEntry.model_validate(bank(**overrides))


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "banks.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# -- entries ----------------------------------------------------------------------------


def test_entry_keeps_its_fields() -> None:
    linden = entry()
    assert linden.id == "lindenbank"
    assert linden.base_url == "http://127.0.0.1:8001/banks/lindenbank"
    assert linden.partner_secret is not None
    assert linden.partner_secret.get_secret_value() == SECRET


def test_entry_drops_a_trailing_slash_of_the_base_url() -> None:
    assert entry(base_url="https://bank.example/psd2/").base_url == "https://bank.example/psd2"


def test_entry_writes_colours_in_lower_case() -> None:
    assert entry().accent_color == "#f2c14e"


def test_entry_partner_extension_is_optional() -> None:
    plain = entry(partner_base_url=None, partner_secret=None)
    assert plain.partner_base_url is None
    assert plain.partner_secret is None


def test_entry_never_shows_the_partner_secret() -> None:
    linden = entry()
    assert SECRET not in repr(linden)
    assert SECRET not in str(linden.model_dump())


def test_entry_is_frozen() -> None:
    linden = entry()
    with pytest.raises(ValidationError):
        linden.name = "Other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "Lindenbank"),
        ("id", "-linden"),
        ("id", "x"),
        ("id", "a" * 33),
        ("name", "   "),
        ("base_url", "ftp://bank.example/psd2"),
        ("base_url", "bank.example/psd2"),
        ("base_url", "https://bank.example/psd2?x=1"),
        ("partner_base_url", "mailto:partner@bank.example"),
        ("standard", "stet"),
        ("country", "de"),
        ("country", "XX"),
        ("country", "DEU"),
        ("currency", "eur"),
        ("currency", "ABC"),
        ("language", "fr"),
        ("primary_color", "#0b5"),
        ("accent_color", "red"),
    ],
)
def test_entry_refuses_an_invalid_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        entry(**{field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_entry_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        entry(baseUrl="https://bank.example")


# -- the registry -----------------------------------------------------------------------


def registry() -> BankRegistry:
    return BankRegistry(
        [
            entry(),
            entry(id="kranichbank", name="Kranich Bank"),
            entry(id="prairiebank", name="Prairie Lantern Bank", country="US", currency="USD"),
        ]
    )


def test_registry_finds_a_bank_by_id() -> None:
    assert registry().get("kranichbank").name == "Kranich Bank"


def test_registry_names_a_bank_it_knows_and_falls_back_to_the_id_otherwise() -> None:
    assert registry().name_of("kranichbank") == "Kranich Bank"
    assert registry().name_of("closedbank") == "closedbank"


def test_registry_refuses_an_unknown_bank_with_a_stable_code() -> None:
    with pytest.raises(UnknownBank) as refused:
        registry().get("nobank")
    assert isinstance(refused.value, NotFound)
    assert (refused.value.code, refused.value.status) == ("UNKNOWN_BANK", 404)


def test_registry_lists_banks_by_name() -> None:
    assert [b.id for b in registry().all()] == ["kranichbank", "lindenbank", "prairiebank"]


def test_registry_knows_which_ids_it_holds() -> None:
    banks = registry()
    assert "lindenbank" in banks
    assert "nobank" not in banks
    assert len(banks) == 3


def test_registry_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="lindenbank"):
        BankRegistry([entry(), entry(name="Another Lindenbank")])


# -- the banks file ---------------------------------------------------------------------


def test_banks_file_lists_its_banks(tmp_path: Path) -> None:
    path = write(tmp_path, {"banks": [bank(), bank(id="kranichbank", name="Kranich Bank")]})
    assert [b.id for b in load_banks_file(path)] == ["lindenbank", "kranichbank"]


def test_banks_file_may_be_empty(tmp_path: Path) -> None:
    assert load_banks_file(write(tmp_path, {"banks": []})) == []


def test_missing_banks_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(ValueError, match=r"absent\.json"):
        load_banks_file(path)


def test_banks_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "banks.json"
    path.write_text('{"banks": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"banks\.json: not valid JSON"):
        load_banks_file(path)


@pytest.mark.parametrize("document", [[], {"banks": {}}, {"bank": []}, "banks"])
def test_banks_file_without_a_bank_list_is_refused(tmp_path: Path, document: Any) -> None:
    with pytest.raises(ValueError, match=r"banks\.json: banks"):
        load_banks_file(write(tmp_path, document))


def test_banks_file_with_other_top_level_keys_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"banks\.json: version: unknown key"):
        load_banks_file(write(tmp_path, {"banks": [], "version": 2}))


def test_banks_file_names_the_bad_field(tmp_path: Path) -> None:
    path = write(tmp_path, {"banks": [bank(), bank(id="kranichbank", country="Germany")]})
    with pytest.raises(ValueError, match=r"banks\.json: banks\[1\]\.country: "):
        load_banks_file(path)


def test_banks_file_names_a_missing_field(tmp_path: Path) -> None:
    incomplete = bank()
    del incomplete["base_url"]
    with pytest.raises(ValueError, match=r"banks\[0\]\.base_url: Field required"):
        load_banks_file(write(tmp_path, {"banks": [incomplete]}))


def test_banks_file_uses_snake_case_keys(tmp_path: Path) -> None:
    camel = bank()
    camel["baseUrl"] = camel.pop("base_url")
    with pytest.raises(ValueError, match=r"banks\[0\]\.base"):
        load_banks_file(write(tmp_path, {"banks": [camel]}))


def test_banks_file_refuses_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"banks\[1\]\.id: duplicate"):
        load_banks_file(write(tmp_path, {"banks": [bank(), bank(name="Linden 2")]}))


def test_banks_file_errors_never_show_values(tmp_path: Path) -> None:
    path = write(tmp_path, {"banks": [bank(partner_secret=["not", SECRET])]})
    with pytest.raises(ValueError, match=r"banks\[0\]\.partner_secret") as refused:
        load_banks_file(path)
    assert SECRET not in str(refused.value)
