"""A tiny third-party app inside the sandbox, so a person can try the whole consent flow in
a browser: pick a bank, log in and approve on the bank's page, come back and see the
balances and transactions the app read over NextGenPSD2 with that consent.

It talks to the banks only over HTTP, exactly as an outside app would.
"""

from __future__ import annotations

import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bankchat.sandbox.deps import WorldDep
from bankchat.sandbox.i18n import Texts, choose_language
from bankchat.sandbox.pages import templates

router = APIRouter()

_MAX_PENDING = 1000
_TRANSACTIONS_SHOWN = 10


@dataclass(frozen=True)
class _Pending:
    bank_id: str
    consent_id: str


class PendingFlows:
    """Consent flows started here, by the random state carried through the redirect."""

    def __init__(self) -> None:
        self._flows: OrderedDict[str, _Pending] = OrderedDict()

    def add(self, state: str, flow: _Pending) -> None:
        self._flows[state] = flow
        while len(self._flows) > _MAX_PENDING:
            self._flows.popitem(last=False)

    def get(self, state: str) -> _Pending | None:
        return self._flows.get(state)


def _pending_flows(request: Request) -> PendingFlows:
    flows: PendingFlows = request.app.state.demo_flows
    return flows


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _headers(request: Request, consent_id: str | None = None) -> dict[str, str]:
    headers = {
        "X-Request-ID": str(uuid.uuid4()),
        "PSU-IP-Address": request.client.host if request.client else "127.0.0.1",
    }
    if consent_id:
        headers["Consent-ID"] = consent_id
    return headers


def _texts(request: Request) -> Texts:
    return Texts(
        choose_language(
            request.query_params.get("lang"), request.headers.get("accept-language"), "en"
        )
    )


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    texts = _texts(request)

    def money(amount: dict[str, str]) -> str:
        try:
            return texts.money(Decimal(amount["amount"]), amount["currency"])
        except (KeyError, InvalidOperation):
            return ""

    html = templates.get_template(name).render(t=texts, lang=texts.language, money=money, **context)
    return HTMLResponse(html)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request, world: WorldDep) -> HTMLResponse:
    """The sandbox's front page: the banks and a button to try the consent flow."""
    return _page(request, "demo_index.html", banks=list(world.banks.values()))


@router.post("/demo/connect", include_in_schema=False, response_model=None)
async def connect(
    request: Request, world: WorldDep, bank_id: Annotated[str, Form(max_length=64)]
) -> RedirectResponse | HTMLResponse:
    """Ask the chosen bank for a consent and send the browser to its SCA page."""
    if bank_id not in world.banks:
        return _page(request, "demo_error.html", message=_texts(request)("demo_unknown_bank"))
    root = _root(request)
    state_token = secrets.token_urlsafe(16)
    body = {
        "access": {"accounts": [], "balances": [], "transactions": []},
        "recurringIndicator": True,
        "validUntil": (world.today() + timedelta(days=90)).isoformat(),
        "frequencyPerDay": 4,
        "combinedServiceIndicator": False,
    }
    headers = _headers(request) | {
        "TPP-Redirect-URI": f"{root}/demo/callback?state={state_token}",
        "TPP-Nok-Redirect-URI": f"{root}/demo/callback?state={state_token}&denied=1",
        "TPP-Brand-Logging-Information": "Sandbox demo app",
    }
    async with httpx.AsyncClient(base_url=f"{root}/banks/{bank_id}", timeout=10) as http:
        response = await http.post("/v1/consents", json=body, headers=headers)
    if response.status_code != 201:
        return _page(request, "demo_error.html", message=response.text)
    created = response.json()
    _pending_flows(request).add(state_token, _Pending(bank_id, created["consentId"]))
    return RedirectResponse(created["_links"]["scaRedirect"]["href"], status_code=303)


@dataclass
class _AccountView:
    name: str
    reference: str
    balances: list[dict[str, Any]]
    transactions: list[dict[str, Any]]


async def _read_accounts(
    http: httpx.AsyncClient, request: Request, consent_id: str, since: str
) -> list[_AccountView]:
    views: list[_AccountView] = []
    # Card accounts list under "cardAccounts" and report under "cardTransactions".
    for kind, key, report_key in (
        ("accounts", "accounts", "transactions"),
        ("card-accounts", "cardAccounts", "cardTransactions"),
    ):
        listing = await http.get(
            f"/v1/{kind}", params={"withBalance": "true"}, headers=_headers(request, consent_id)
        )
        if listing.status_code != 200:
            continue
        for account in listing.json().get(key, []):
            transactions = await http.get(
                f"/v1/{kind}/{account['resourceId']}/transactions",
                params={"bookingStatus": "both", "dateFrom": since},
                headers=_headers(request, consent_id),
            )
            report = transactions.json().get(report_key, {}) if transactions.is_success else {}
            entries = [
                *({**t, "pending": True} for t in report.get("pending", [])),
                *report.get("booked", []),
            ]
            views.append(
                _AccountView(
                    name=account.get("name") or account.get("product") or kind,
                    reference=account.get("iban")
                    or account.get("bban")
                    or account.get("maskedPan", ""),
                    balances=account.get("balances", []),
                    transactions=entries[:_TRANSACTIONS_SHOWN],
                )
            )
    return views


@router.get("/demo/callback", response_class=HTMLResponse, include_in_schema=False)
async def callback(
    request: Request,
    world: WorldDep,
    state: Annotated[str, Query(max_length=64)],
    denied: Annotated[int, Query()] = 0,
) -> HTMLResponse:
    """Back from the bank: show what the consent allows the app to read."""
    flow = _pending_flows(request).get(state)
    if flow is None:
        return _page(request, "demo_error.html", message=_texts(request)("demo_expired"))
    bank = world.banks[flow.bank_id]
    async with httpx.AsyncClient(base_url=f"{_root(request)}/banks/{bank.id}", timeout=10) as http:
        status = await http.get(f"/v1/consents/{flow.consent_id}/status", headers=_headers(request))
        consent_status = status.json().get("consentStatus", "unknown")
        accounts: list[_AccountView] = []
        if consent_status == "valid" and not denied:
            since = (world.today() - timedelta(days=30)).isoformat()
            accounts = await _read_accounts(http, request, flow.consent_id, since)
    return _page(
        request,
        "demo_result.html",
        bank=bank,
        consent_id=flow.consent_id,
        consent_status=consent_status,
        accounts=accounts,
    )
