"""The dedupe key of a transaction entry: the bank's ids first, else a hash of the booking
fields that is stable, blind to key order, and distinct for distinct entries."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from bankchat.banking.psd2_parsing import transaction_key

ENTRY: dict[str, Any] = {
    "bookingDate": "2026-11-17",
    "valueDate": "2026-11-17",
    "transactionAmount": {"currency": "EUR", "amount": "-42.10"},
    "creditorName": "Markt 24",
    "creditorAccount": {"iban": "DE89370400440532013000"},
    "remittanceInformationUnstructured": "Einkauf 17.11.",
}

texts = st.text(max_size=30)
dates = st.dates().map(lambda d: d.isoformat())
amounts = st.decimals(
    min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
).map(lambda d: f"{d:.2f}")
accounts = st.fixed_dictionaries(
    {"iban": st.from_regex(r"[A-Z]{2}[0-9]{2}[0-9A-Z]{10,20}", fullmatch=True)}
)
entries = st.fixed_dictionaries(
    {
        "transactionAmount": st.fixed_dictionaries(
            {"currency": st.sampled_from(["EUR", "USD"]), "amount": amounts}
        )
    },
    optional={
        "bookingDate": dates,
        "valueDate": dates,
        "creditorName": texts,
        "creditorAccount": accounts,
        "debtorName": texts,
        "debtorAccount": accounts,
        "remittanceInformationUnstructured": texts,
        "remittanceInformationUnstructuredArray": st.lists(texts, max_size=3),
        "transactionDetails": texts,
        "cardAcceptorAddress": st.fixed_dictionaries(
            {"country": st.sampled_from(["DE", "US"])}, optional={"townName": texts}
        ),
    },
)
HASHED_TEXT_FIELDS = [
    "bookingDate",
    "valueDate",
    "transactionDate",
    "creditorName",
    "debtorName",
    "remittanceInformationUnstructured",
    "transactionDetails",
    "terminalId",
    "maskedPAN",
]


def reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def test_transaction_id_is_the_key() -> None:
    assert transaction_key({**ENTRY, "transactionId": "tx-1", "entryReference": "r"}) == "id:tx-1"


def test_card_transaction_id_is_the_key_of_a_card_entry() -> None:
    assert transaction_key({**ENTRY, "cardTransactionId": "card-7"}) == "id:card-7"


def test_entry_reference_is_the_key_without_an_id() -> None:
    assert transaction_key({**ENTRY, "entryReference": "ref-9"}) == "ref:ref-9"


def test_empty_ids_do_not_count() -> None:
    key = transaction_key({**ENTRY, "transactionId": "", "entryReference": ""})
    assert key == transaction_key(ENTRY)
    assert key.startswith("hash:")


def test_hash_key_is_stable_across_versions_and_processes() -> None:
    # Stored keys must keep matching what a later release computes for the same entry:
    # the canonical form is compact JSON, keys sorted, the amount in its shortest spelling.
    canonical = (
        '{"bookingDate":"2026-11-17","creditorAccount":{"iban":"DE89370400440532013000"},'
        '"creditorName":"Markt 24","remittanceInformationUnstructured":"Einkauf 17.11.",'
        '"transactionAmount":{"amount":"-42.1","currency":"EUR"},"valueDate":"2026-11-17"}'
    )
    assert transaction_key(ENTRY) == "hash:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert transaction_key(ENTRY) == (
        "hash:3aa359221b5e3c230ce1f2755cfcdf7585dc0fca0cf68842017d50136615153b"
    )


def test_hash_key_ignores_fields_that_are_not_booking_fields() -> None:
    decorated = {**ENTRY, "_links": {"transactionDetails": {"href": "/x"}}, "batchIndicator": False}
    assert transaction_key(decorated) == transaction_key(ENTRY)


def test_hash_key_treats_an_absent_and_an_empty_field_alike() -> None:
    assert transaction_key({**ENTRY, "debtorName": None, "ultimateDebtor": ""}) == (
        transaction_key(ENTRY)
    )


def test_hash_key_reads_amounts_by_value() -> None:
    padded = {**ENTRY, "transactionAmount": {"currency": "EUR", "amount": "-42.100"}}
    assert transaction_key(padded) == transaction_key(ENTRY)


def test_hash_key_reads_minus_zero_as_zero() -> None:
    def zero(amount: str) -> dict[str, Any]:
        return {**ENTRY, "transactionAmount": {"currency": "EUR", "amount": amount}}

    assert transaction_key(zero("-0.00")) == transaction_key(zero("0"))


@given(entries)
def test_hash_key_is_stable(entry: dict[str, Any]) -> None:
    assert transaction_key(entry) == transaction_key(dict(entry))


@given(entries)
def test_hash_key_does_not_depend_on_key_order(entry: dict[str, Any]) -> None:
    assert transaction_key(reordered(entry)) == transaction_key(entry)


@given(entries, st.sampled_from(HASHED_TEXT_FIELDS), texts, texts)
def test_entries_differing_in_a_booking_field_get_distinct_keys(
    entry: dict[str, Any], field: str, one: str, other: str
) -> None:
    assume(one != other and one and other)
    assert transaction_key({**entry, field: one}) != transaction_key({**entry, field: other})


@given(entries, amounts, amounts)
def test_entries_differing_in_amount_get_distinct_keys(
    entry: dict[str, Any], one: str, other: str
) -> None:
    currency = entry["transactionAmount"]["currency"]
    first = {**entry, "transactionAmount": {"currency": currency, "amount": one}}
    second = {**entry, "transactionAmount": {"currency": currency, "amount": other}}
    assert (transaction_key(first) == transaction_key(second)) == (Decimal(one) == Decimal(other))


@given(entries)
def test_moving_a_name_from_creditor_to_debtor_changes_the_key(entry: dict[str, Any]) -> None:
    as_creditor = {k: v for k, v in entry.items() if k not in ("creditorName", "debtorName")}
    as_debtor = dict(as_creditor)
    as_creditor["creditorName"] = "Anna"
    as_debtor["debtorName"] = "Anna"
    assert transaction_key(as_creditor) != transaction_key(as_debtor)
