"""Helpers for tests that walk an AIS consent through the bank over HTTP: create it, log
in on the SCA page and decide, the way a browser would."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from bankchat.sandbox.world import World

REDIRECT = "https://tpp.example/callback?state=ok"
NOK_REDIRECT = "https://tpp.example/callback?state=nok"
PSU_IP = "192.0.2.10"
TODAY = date(2026, 11, 20)
_TOKEN = re.compile(r'name="token" value="([^"]+)"')
_CHECKED = re.compile(r'name="account" value="([^"]+)" checked')


def headers(**extra: str) -> dict[str, str]:
    """The headers of a TPP call with the PSU present."""
    return {"X-Request-ID": str(uuid.uuid4()), "PSU-IP-Address": PSU_IP, **extra}


def iban(world: World, account_id: str) -> str:
    value = world.accounts[account_id].iban
    assert value is not None
    return value


def explicit_access(world: World, *account_ids: str) -> dict[str, Any]:
    """Access to account details, balances and transactions of ``account_ids``."""
    references = [
        {"iban": iban(world, a)}
        if world.accounts[a].iban
        else {"maskedPan": world.accounts[a].masked_pan}
        for a in account_ids
    ]
    return {"accounts": references, "balances": references, "transactions": references}


def consent_body(access: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access": access,
        "recurringIndicator": True,
        "validUntil": (TODAY + timedelta(days=90)).isoformat(),
        "frequencyPerDay": 4,
        "combinedServiceIndicator": False,
    }
    body.update(overrides)
    return body


async def create_consent(
    client: httpx.AsyncClient,
    access: dict[str, Any],
    *,
    bank: str = "nordbank",
    brand: str = "Budget App",
    redirect: str = REDIRECT,
    **overrides: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/banks/{bank}/v1/consents",
        json=consent_body(access, **overrides),
        headers=headers(
            **{
                "TPP-Redirect-URI": redirect,
                "TPP-Nok-Redirect-URI": NOK_REDIRECT,
                "TPP-Brand-Logging-Information": brand,
            }
        ),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def form_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no form token on the page"
    return match.group(1)


async def log_in(
    client: httpx.AsyncClient, sca_url: str, login: str, password: str, lang: str = "en"
) -> httpx.Response:
    """Open the SCA page and submit the login form."""
    page = await client.get(sca_url, params={"lang": lang})
    assert page.status_code == 200, page.text
    return await client.post(
        sca_url,
        params={"lang": lang},
        data={"token": form_token(page.text), "login": login, "password": password},
    )


async def decide(
    client: httpx.AsyncClient,
    sca_url: str,
    decision_page: httpx.Response,
    decision: str,
    accounts: list[str] | None = None,
) -> httpx.Response:
    """Submit the approval form shown after login, by default with the boxes as ticked."""
    if accounts is None:
        accounts = _CHECKED.findall(decision_page.text)
    data: dict[str, Any] = {"token": form_token(decision_page.text), "decision": decision}
    if accounts:
        data["account"] = accounts
    return await client.post(f"{sca_url}/decision", params={"lang": "en"}, data=data)


async def approved_consent(
    client: httpx.AsyncClient,
    access: dict[str, Any],
    *,
    bank: str = "nordbank",
    customer: int = 1,
    accounts: list[str] | None = None,
    **overrides: Any,
) -> str:
    """A consent created, logged in to and approved by ``<bank>-c<customer>``."""
    created = await create_consent(client, access, bank=bank, **overrides)
    sca_url = created["_links"]["scaRedirect"]["href"]
    page = await log_in(client, sca_url, f"{bank}{customer}", f"pass-{bank}-{customer}")
    assert page.status_code == 200, page.text
    response = await decide(client, sca_url, page, "approve", accounts)
    assert response.status_code in (302, 303), response.text
    consent_id: str = created["consentId"]
    return consent_id


def read_headers(consent_id: str, *, psu_present: bool = True) -> dict[str, str]:
    result = {"X-Request-ID": str(uuid.uuid4()), "Consent-ID": consent_id}
    if psu_present:
        result["PSU-IP-Address"] = PSU_IP
    return result


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["tppMessages"][0]["code"]
    return code
