"""The typed entities and their one JSON form, the NLU contract's."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.nlu.intents import AccountType, Category, Intent
from bankchat.assistant.nlu.result import Entities, Parse, Period

AMOUNTS = st.decimals(
    min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False, allow_infinity=False
)
PERIODS = st.tuples(st.dates(), st.dates()).map(lambda days: Period(min(days), max(days)))
WRITTEN = st.text(min_size=1, max_size=30)
ENTITIES = st.builds(
    Entities,
    amount=st.none() | AMOUNTS,
    currency=st.none() | st.from_regex(r"[A-Z]{3}", fullmatch=True),
    recipient=st.none() | WRITTEN,
    period=st.none() | PERIODS,
    merchant=st.none() | WRITTEN,
    category=st.none() | st.sampled_from(Category),
    account_type=st.none() | st.sampled_from(AccountType),
    bank=st.none() | WRITTEN,
)


@given(ENTITIES)
def test_entities_survive_the_contracts_json(entities: Entities) -> None:
    line = json.dumps(entities.to_json(), ensure_ascii=False)
    assert Entities.from_json(json.loads(line)) == entities


@given(ENTITIES)
def test_the_json_holds_only_what_is_present_in_the_contracts_form(entities: Entities) -> None:
    written = entities.to_json()
    present = [
        name for name in Entities.__dataclass_fields__ if getattr(entities, name) is not None
    ]
    assert list(written) == present
    if "amount" in written:
        assert re.fullmatch(r"\d+\.\d{2}", written["amount"])
    if "period" in written:
        assert list(written["period"]) == ["from", "to"]
        assert date.fromisoformat(written["period"]["from"]) <= date.fromisoformat(
            written["period"]["to"]
        )


def test_the_parse_line_is_the_contracts() -> None:
    entities = Entities(
        amount=Decimal("1234.5"),
        currency="EUR",
        recipient="Max Müller",
        period=Period(date(2026, 10, 1), date(2026, 10, 31)),
        category=Category.GROCERIES,
    )
    line = Parse("…", "de", Intent.SEND_MONEY, 0.97123, entities).as_json()
    assert json.dumps(line, ensure_ascii=False) == (
        '{"text": "…", "language": "de", "intent": "send_money", "confidence": 0.9712, '
        '"entities": {"amount": "1234.50", "currency": "EUR", "recipient": "Max Müller", '
        '"period": {"from": "2026-10-01", "to": "2026-10-31"}, "category": "groceries"}}'
    )


def test_keys_outside_the_contract_are_left_alone() -> None:
    assert Entities.from_json({"bank": "Nordbank", "comparator": "gt"}) == Entities(bank="Nordbank")


def test_a_reversed_period_is_put_right() -> None:
    read = Entities.from_json({"period": {"from": "2026-10-31", "to": "2026-10-01"}})
    assert read.period == Period(date(2026, 10, 1), date(2026, 10, 31))


@pytest.mark.parametrize(
    "written",
    [
        {"amount": "zwölf"},
        {"amount": "NaN"},
        {"category": "ads"},
        {"account_type": "piggy_bank"},
        {"period": {"from": "2026-10-01"}},
        {"period": "last month"},
        {"merchant": 42},
    ],
)
def test_a_value_outside_the_contracts_form_is_refused(written: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="outside the contract's form"):
        Entities.from_json(written)
