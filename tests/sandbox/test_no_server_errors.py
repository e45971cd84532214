"""Whatever a TPP sends, the bank answers with a NextGenPSD2 error or a result, never a 500.

Hypothesis throws arbitrary path segments, query values, headers and bodies at the
consent, account and payment endpoints of an in-process sandbox.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

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
