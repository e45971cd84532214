"""The plaintext forms of bank data, before sealing and after opening.

Compact JSON encoding (fast paths for the lists of strings transactions are made of), the
associated-data field names every ciphertext is bound to, and the groups a transaction's
fields are sealed in. Nothing here touches keys or tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from bankchat.vault.records import TransactionRecord, date_text, date_value, decimal_text

# The field each ciphertext is bound to (part of its associated data).
ACCOUNT_FIELD = "account.details"
BALANCES_FIELD = "balances"
_AMOUNT_FIELD = "transaction.amount"
_COUNTERPARTY_FIELD = "transaction.counterparty"
_REMITTANCE_FIELD = "transaction.remittance"
_LOCATION_FIELD = "transaction.location"
_DETAILS_FIELD = "transaction.details"
ANNOTATION_FIELD = "transaction.annotation"


# ASCII escapes keep any str (even a lone surrogate from a bank's JSON) encodable; one
# encoder object, because building one per call costs more than encoding a small value.
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def json_bytes(value: Any) -> bytes:
    return _encode_json(value).encode("ascii")


def json_strings(values: Sequence[str | None]) -> bytes:
    """The same bytes as ``json_bytes`` for a list of strings and nulls, several times
    faster: transactions are encoded six times each, ten thousand at a time."""
    return (
        "["
        + ",".join([encode_basestring_ascii(v) if v is not None else "null" for v in values])
        + "]"
    ).encode("ascii")


_decode_json = json.JSONDecoder().decode


def json_value(data: bytes) -> Any:
    return _decode_json(data.decode())


# A transaction's encrypted fields form one flat list; these slices of it are the
# ciphertext groups (each a compact JSON array), with their column and associated-data
# field name. Status is stored in clear.
TRANSACTION_GROUPS = (
    ("amount_ct", _AMOUNT_FIELD, slice(0, 2)),  # amount, currency
    ("counterparty_ct", _COUNTERPARTY_FIELD, slice(2, 4)),  # name, IBAN
    ("remittance_ct", _REMITTANCE_FIELD, slice(4, 6)),  # remittance, merchant
    ("location_ct", _LOCATION_FIELD, slice(6, 9)),  # city, country, terminal id
    # key, booking/value/transaction date, transaction id, entry reference, mcc,
    # bank transaction code, masked PAN
    ("details_ct", _DETAILS_FIELD, slice(9, 18)),
)


def transaction_fields(record: TransactionRecord) -> list[str | None]:
    return [
        decimal_text(record.amount),
        record.currency,
        record.counterparty_name,
        record.counterparty_iban,
        record.remittance,
        record.merchant,
        record.city,
        record.country,
        record.terminal_id,
        record.key,
        date_text(record.booking_date),
        date_text(record.value_date),
        date_text(record.transaction_date),
        record.transaction_id,
        record.entry_reference,
        record.mcc,
        record.bank_transaction_code,
        record.masked_pan,
    ]


def transaction_record(status: Any, fields: list[Any]) -> TransactionRecord:
    return TransactionRecord(
        status=status,
        amount=Decimal(fields[0]),
        currency=fields[1],
        counterparty_name=fields[2],
        counterparty_iban=fields[3],
        remittance=fields[4],
        merchant=fields[5],
        city=fields[6],
        country=fields[7],
        terminal_id=fields[8],
        key=fields[9],
        booking_date=date_value(fields[10]),
        value_date=date_value(fields[11]),
        transaction_date=date_value(fields[12]),
        transaction_id=fields[13],
        entry_reference=fields[14],
        mcc=fields[15],
        bank_transaction_code=fields[16],
        masked_pan=fields[17],
    )
