"""Whatever a TPP sends, the bank answers with a NextGenPSD2 error or a result, never a 500.

Hypothesis throws arbitrary path segments, query values, headers and bodies at the
consent, account and payment endpoints of an in-process sandbox, and valid consent and
payment bodies with one field changed or left out, so that the checks behind the JSON
parser are reached too.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bankchat.sandbox.app import create_app
from bankchat.sandbox.model import Consent, ConsentStatus, ScaStatus
from tests.conftest import PARTNER_SECRET
from tests.sandbox.worlds import TODAY, small_world

WORLD = small_world()
CONSENT_ID = "fuzz-consent"
WORLD.consents[CONSENT_ID] = Consent(
    id=CONSENT_ID,
    bank_id="nordbank",
    access={"allPsd2": "allAccounts"},
    recurring=True,
    valid_until=TODAY.replace(year=TODAY.year + 1),
    frequency_per_day=10_000,
    combined=False,
    status=ConsentStatus.VALID,
    sca_status=ScaStatus.FINALISED,
    created_at=datetime(2026, 11, 1, tzinfo=UTC),
    last_action_date=TODAY,
    redirect_uri="https://tpp.example/ok",
    nok_redirect_uri=None,
    authorisation_id="fuzz-auth",
    customer_id="nordbank-c1",
    account_ids={"nordbank-c1-chk", "nordbank-c1-sav", "nordbank-c1-card"},
    balance_account_ids={"nordbank-c1-chk", "nordbank-c1-sav", "nordbank-c1-card"},
    transaction_account_ids={"nordbank-c1-chk", "nordbank-c1-sav", "nordbank-c1-card"},
)
CLIENT = TestClient(
    create_app(WORLD, partner_secret=PARTNER_SECRET, clearing_interval=3600.0),
    raise_server_exceptions=False,
)

segments = st.one_of(
    st.sampled_from(["nordbank-c1-chk", "nordbank-c1-card", "nordbank-c2-chk", CONSENT_ID]),
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
        max_size=40,
    ),
)
query_values = st.one_of(
    st.sampled_from(["booked", "pending", "both", "information", "2026-01-01", "2026-13-45"]),
    st.text(max_size=30),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
PATHS = [
    "/banks/{bank}/v1/accounts",
    "/banks/{bank}/v1/accounts/{a}",
    "/banks/{bank}/v1/accounts/{a}/balances",
    "/banks/{bank}/v1/accounts/{a}/transactions",
    "/banks/{bank}/v1/accounts/{a}/transactions/{b}",
    "/banks/{bank}/v1/card-accounts/{a}/transactions",
    "/banks/{bank}/v1/consents/{a}",
    "/banks/{bank}/v1/consents/{a}/status",
    "/banks/{bank}/v1/payments/{a}/{b}/status",
]


def _assert_spec_error_or_success(status: int, body: bytes) -> None:
    assert status < 500, body[:300]
    if status >= 400:
        payload = json.loads(body)
        assert payload["tppMessages"][0]["code"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    template=st.sampled_from(PATHS),
    bank=st.sampled_from(["nordbank", "lakebank", "nope"]),
    a=segments,
    b=segments,
    params=st.dictionaries(
        st.sampled_from(["bookingStatus", "dateFrom", "dateTo", "withBalance", "page"]),
        query_values,
        max_size=4,
    ),
    consent=st.sampled_from([CONSENT_ID, "", "unknown", "x" * 300]),
    request_id=st.sampled_from([str(uuid.uuid4()), "", "not-a-uuid"]),
)
def test_reads_with_arbitrary_input_never_fail_with_a_server_error(
    template: str,
    bank: str,
    a: str,
    b: str,
    params: dict[str, str],
    consent: str,
    request_id: str,
) -> None:
    path = template.format(bank=bank, a=a, b=b)
    headers = {"Consent-ID": consent, "X-Request-ID": request_id, "PSU-IP-Address": "192.0.2.1"}
    response = CLIENT.get(path, params=params, headers={k: v for k, v in headers.items() if v})
    _assert_spec_error_or_success(response.status_code, response.content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(
        [
            "/banks/nordbank/v1/consents",
            "/banks/nordbank/v1/payments/sepa-credit-transfers",
            "/banks/nordbank/v1/payments/instant-sepa-credit-transfers",
        ]
    ),
    body=st.one_of(json_values.map(json.dumps), st.binary(max_size=60).map(repr)),
)
def test_creations_with_arbitrary_bodies_never_fail_with_a_server_error(
    path: str, body: str
) -> None:
    consents_before, payments_before = len(WORLD.consents), len(WORLD.payments)
    response = CLIENT.post(
        path,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Request-ID": str(uuid.uuid4()),
            "PSU-IP-Address": "192.0.2.1",
            "TPP-Redirect-URI": "https://tpp.example/ok",
        },
    )
    _assert_spec_error_or_success(response.status_code, response.content)
    if response.status_code >= 400:
        assert (len(WORLD.consents), len(WORLD.payments)) == (consents_before, payments_before)


def _iban(account_id: str) -> str:
    iban = WORLD.accounts[account_id].iban
    assert iban is not None
    return iban


DEBTOR_IBAN = _iban("nordbank-c1-chk")
VALID_PAYMENT = {
    "debtorAccount": {"iban": DEBTOR_IBAN, "currency": "EUR"},
    "instructedAmount": {"currency": "EUR", "amount": "25.00"},
    "creditorAccount": {"iban": _iban("suedbank-c1-chk")},
    "creditorName": "Test Person1",
    "remittanceInformationUnstructured": "Pizza",
    "endToEndIdentification": "E2E-1",
}
VALID_CONSENT_REFERENCES = [{"iban": DEBTOR_IBAN}, {"maskedPan": "4111********1111"}]
VALID_CONSENT = {
    "access": {
        "accounts": VALID_CONSENT_REFERENCES,
        "balances": VALID_CONSENT_REFERENCES,
        "transactions": VALID_CONSENT_REFERENCES,
    },
    "recurringIndicator": True,
    "validUntil": (TODAY + timedelta(days=90)).isoformat(),
    "frequencyPerDay": 4,
    "combinedServiceIndicator": False,
}


@dataclass(frozen=True)
class RawNumber:
    """A JSON number literal that json.dumps cannot write (too many digits, out of range)."""

    text: str


MISSING = object()  # the mutation that leaves the field out
_RAW_MARK = "\x00raw\x00"

odd_strings = st.sampled_from(
    [
        f"{DEBTOR_IBAN}\n",
        f"\n{DEBTOR_IBAN}",
        f" {DEBTOR_IBAN} ",
        DEBTOR_IBAN.lower(),
        "",
        " ",
        "\n",
        "\x00",
        "EUR\n",
        "eur",
        "25.00\n",
        "25.001",
        "-25.00",
        "0.00",
        "0.001",
        "1e3",
        "NaN",
        "Infinity",
        "99999999999999.99",
        "999999999999999999999999.99",
        "\u0663\u0662.00",  # Arabic-Indic digits
        "2026-02-30",
        f"{TODAY.isoformat()}\n",
        "9999-12-31",
        "x" * 5000,
        "true",
        "allAccounts",
        "allAccounts\n",
    ]
)
odd_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.integers(max_value=-1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(places=3, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(
        [RawNumber("9" * 5000), RawNumber("1e999"), RawNumber("-0"), RawNumber("1E-400")]
    ),
)
replacements = st.one_of(
    st.just(MISSING), odd_strings, odd_numbers, json_values, st.text(max_size=30)
)


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every place in a JSON document below its root."""
    children: list[tuple[str | int, object]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _with_change(document: object, path: tuple[str | int, ...], value: object) -> Any:
    changed: Any = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return changed


def _as_json(document: object) -> str:
    raw: list[str] = []

    def placeholder(value: object) -> str:
        if not isinstance(value, RawNumber):
            raise TypeError(value)
        raw.append(value.text)
        return _RAW_MARK

    text = json.dumps(document, default=placeholder)
    for literal in raw:
        text = text.replace(json.dumps(_RAW_MARK), literal, 1)
    return text


def _near_misses(value: object) -> st.SearchStrategy[object]:
    """Values close to a valid ``value``: where lenient parsing and strict checks disagree."""
    if isinstance(value, str):
        return st.sampled_from(
            [
                f"{value}\n",
                f"{value} ",
                f"\n{value}",
                value.lower(),
                f"{value}1",
                f"-{value}",
                value * 40,
                value[:-1],
            ]
        )
    if isinstance(value, bool):
        return st.sampled_from([not value, int(value), str(value).lower()])
    if isinstance(value, int):
        return st.sampled_from([-value, 0, value * 10**30, value + 0.5, str(value)])
    return st.sampled_from([{}, []])


def _field_at(document: object, path: tuple[str | int, ...]) -> object:
    for key in path:
        document = document[key]  # type: ignore[index]
    return document


@st.composite
def one_field_changed(draw: st.DrawFn, valid: object) -> str:
    """``valid`` as JSON with one field replaced by an odd value or left out."""
    path = draw(st.sampled_from(list(_paths(valid))))
    value = draw(st.one_of(_near_misses(_field_at(valid, path)), replacements))
    return _as_json(_with_change(valid, path, value))


def _post(path: str, body: str) -> None:
    consents_before, payments_before = len(WORLD.consents), len(WORLD.payments)
    response = CLIENT.post(
        path,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Request-ID": str(uuid.uuid4()),
            "PSU-IP-Address": "192.0.2.1",
            "TPP-Redirect-URI": "https://tpp.example/ok",
        },
    )
    _assert_spec_error_or_success(response.status_code, response.content)
    if response.status_code >= 400:
        assert (len(WORLD.consents), len(WORLD.payments)) == (consents_before, payments_before)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(
        [
            "/banks/nordbank/v1/payments/sepa-credit-transfers",
            "/banks/nordbank/v1/payments/instant-sepa-credit-transfers",
        ]
    ),
    body=one_field_changed(VALID_PAYMENT),
)
def test_payment_order_with_one_odd_field_never_fails_with_a_server_error(
    path: str, body: str
) -> None:
    _post(path, body)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=one_field_changed(VALID_CONSENT))
def test_consent_request_with_one_odd_field_never_fails_with_a_server_error(body: str) -> None:
    _post("/banks/nordbank/v1/consents", body)


def test_unchanged_valid_bodies_are_accepted() -> None:
    # Guards the two tests above: their starting points must pass every check.
    for path, body in (
        ("/banks/nordbank/v1/payments/sepa-credit-transfers", VALID_PAYMENT),
        ("/banks/nordbank/v1/consents", VALID_CONSENT),
    ):
        response = CLIENT.post(
            path,
            json=body,
            headers={
                "X-Request-ID": str(uuid.uuid4()),
                "PSU-IP-Address": "192.0.2.1",
                "TPP-Redirect-URI": "https://tpp.example/ok",
            },
        )
        assert response.status_code == 201, response.text
