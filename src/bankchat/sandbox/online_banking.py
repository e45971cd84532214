"""The bank's online banking, as far as consents go: the customer logs in, sees every app
they gave access to, can revoke a valid consent (which the TPP then sees as
``revokedByPsu``) and logs out.

The login lives in the signed token of the page's forms. Each revocation consumes it and
the next page carries a fresh one; logging out consumes it for good.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from bankchat.sandbox import consents
from bankchat.sandbox.deps import BankDep, WorldDep
from bankchat.sandbox.model import Bank, ConsentStatus, Customer
from bankchat.sandbox.pages import (
    LoginField,
    TokenField,
    authenticate,
    form_tokens,
    login_page,
    message_page,
    render,
    texts_for,
)
from bankchat.sandbox.sca import account_label, consent_scopes
from bankchat.sandbox.world import World

router = APIRouter(prefix="/banks/{bank_id}/online-banking", include_in_schema=False)

_LOGIN, _SIGNED_IN = "banking-login", "banking"


def _login_page(
    request: Request, world: World, bank: Bank, *, failed: bool = False
) -> HTMLResponse:
    intro = texts_for(request, bank)("login_intro_banking")
    return login_page(
        request, world, bank, intro=intro, purpose=_LOGIN, subject=bank.id, failed=failed
    )


def _consents_page(
    request: Request, world: World, bank: Bank, customer: Customer, notice: str | None = None
) -> HTMLResponse:
    texts = texts_for(request, bank)
    rows = [
        {
            "id": consent.id,
            "app": consent.tpp_name,
            "data": ", ".join(texts(key) for key in consent_scopes(consent)),
            "accounts": [account_label(world.accounts[i]) for i in sorted(consent.account_ids)],
            "valid_until": texts.day(consent.valid_until),
            "status": texts(f"status_{consent.status.value}"),
            "revocable": consent.status is ConsentStatus.VALID,
        }
        for consent in consents.customer_consents(world, customer)
    ]
    return render(
        request,
        bank,
        texts,
        "banking_consents.html",
        customer=customer,
        rows=rows,
        notice=notice,
        action=f"/banks/{bank.id}/online-banking/revoke",
        logout=f"/banks/{bank.id}/online-banking/logout",
        token=form_tokens(request, world).issue(_SIGNED_IN, bank.id, customer.id),
    )


@router.get("", response_class=HTMLResponse)
async def show_login(request: Request, world: WorldDep, bank: BankDep) -> HTMLResponse:
    """The online banking login."""
    return _login_page(request, world, bank)


@router.post("", response_class=HTMLResponse)
async def login(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    token: TokenField = "",
    login: LoginField = "",
    password: LoginField = "",
) -> HTMLResponse:
    """Log in and list the customer's consents."""
    texts = texts_for(request, bank)
    if form_tokens(request, world).verify(token, _LOGIN, bank.id) is None:
        return message_page(request, bank, texts, "form_expired", 400)
    customer = authenticate(world, bank, login, password)
    if customer is None:
        return _login_page(request, world, bank, failed=True)
    return _consents_page(request, world, bank, customer)


@router.post("/revoke", response_class=HTMLResponse)
async def revoke(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    token: TokenField = "",
    consent_id: Annotated[str, Form(max_length=128)] = "",
) -> HTMLResponse:
    """Revoke one of the customer's valid consents."""
    texts = texts_for(request, bank)
    customer_id = form_tokens(request, world).consume(token, _SIGNED_IN, bank.id)
    customer = world.customers.get(customer_id or "")
    if customer is None:
        return message_page(request, bank, texts, "form_expired", 400)
    consent = consents.find_consent(world, bank, consent_id)
    notice = None
    if consent is not None and consents.revoke_by_psu(world, consent, customer):
        notice = texts("revoked_notice", app=consent.tpp_name)
    return _consents_page(request, world, bank, customer, notice)


@router.post("/logout", response_class=HTMLResponse)
async def logout(
    request: Request, world: WorldDep, bank: BankDep, token: TokenField = ""
) -> HTMLResponse:
    """End the login: the page's token is refused from now on."""
    texts = texts_for(request, bank)
    if form_tokens(request, world).consume(token, _SIGNED_IN, bank.id) is None:
        return message_page(request, bank, texts, "form_expired", 400)
    return message_page(request, bank, texts, "logged_out", 200)
