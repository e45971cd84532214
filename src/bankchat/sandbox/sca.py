"""The bank's SCA pages of the redirect approach: the PSU logs in and approves or denies an
AIS consent or a payment, then the browser goes back to the TPP.

Each flow has two steps, login and decision. The login is carried from one to the next
by a signed form token bound to the consent or payment, never by a session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bankchat.sandbox import consents, payments
from bankchat.sandbox.deps import BankDep, WorldDep
from bankchat.sandbox.i18n import Texts
from bankchat.sandbox.model import (
    Account,
    Bank,
    Consent,
    ConsentStatus,
    Customer,
    Payment,
    PaymentStatus,
    ScaStatus,
)
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
from bankchat.sandbox.world import World

router = APIRouter(prefix="/banks/{bank_id}/sca", include_in_schema=False)

ResourceId = Annotated[str, Path(max_length=128)]


def account_label(account: Account) -> str:
    reference = account.iban or account.bban or account.masked_pan or account.id
    return f"{account.name} · {reference}"


def consent_scopes(consent: Consent) -> list[str]:
    """Text keys for the kinds of data the consent asks for."""
    access = consent.access
    scopes = ["scope_accounts"]
    if any(key in access for key in ("balances", "availableAccountsWithBalance", "allPsd2")):
        scopes.append("scope_balances")
    if any(key in access for key in ("transactions", "allPsd2")):
        scopes.append("scope_transactions")
    return scopes


def _redirect(uri: str | None) -> Response:
    # 303: the browser follows with GET whatever the form's method was.
    return RedirectResponse(uri or "/", status_code=303)


def _message(request: Request, bank: Bank, texts: Texts, key: str, status: int) -> HTMLResponse:
    return message_page(request, bank, texts, key, status)


# -- steps both flows share -----------------------------------------------------------

_Resource = TypeVar("_Resource", Consent, Payment)


@dataclass(frozen=True)
class _Flow(Generic[_Resource]):
    """What tells the consent flow and the payment flow apart; the steps are the same."""

    find: Callable[[World, Bank, str, str], _Resource | None]
    waits: Callable[[_Resource], bool]
    intro: Callable[[Texts, _Resource], str]
    login_purpose: str
    decision_purpose: str

    def waiting(
        self,
        request: Request,
        world: World,
        bank: Bank,
        texts: Texts,
        resource_id: str,
        authorisation_id: str,
    ) -> _Resource | HTMLResponse:
        """The resource if it still waits for the PSU, else the page that says why not."""
        resource = self.find(world, bank, resource_id, authorisation_id)
        if resource is None:
            return _message(request, bank, texts, "unknown_request", 404)
        if not self.waits(resource):
            return _message(request, bank, texts, "already_handled", 409)
        return resource

    def login_form(
        self,
        request: Request,
        world: World,
        bank: Bank,
        resource: _Resource,
        *,
        failed: bool = False,
    ) -> HTMLResponse:
        intro = self.intro(texts_for(request, bank), resource)
        return login_page(
            request,
            world,
            bank,
            intro=intro,
            purpose=self.login_purpose,
            subject=resource.id,
            failed=failed,
        )

    def logged_in(
        self,
        request: Request,
        world: World,
        bank: Bank,
        texts: Texts,
        resource: _Resource,
        *,
        token: str,
        login: str,
        password: str,
    ) -> Customer | HTMLResponse:
        """The customer whose credentials came with a valid login form token, else the page
        that says the form expired or, for wrong credentials, the login form again."""
        if form_tokens(request, world).verify(token, self.login_purpose, resource.id) is None:
            return _message(request, bank, texts, "form_expired", 400)
        customer = authenticate(world, bank, login, password)
        if customer is None:
            return self.login_form(request, world, bank, resource, failed=True)
        return customer

    def decision_form_token(
        self, request: Request, world: World, resource: _Resource, customer: Customer
    ) -> str:
        return form_tokens(request, world).issue(self.decision_purpose, resource.id, customer.id)

    def decided_by(
        self,
        request: Request,
        world: World,
        bank: Bank,
        texts: Texts,
        resource: _Resource,
        *,
        token: str,
        decision: str,
    ) -> str | HTMLResponse:
        """The id of the customer the decision form was issued to, its token consumed, else
        the page that says the form expired."""
        if decision not in ("approve", "deny"):
            return _message(request, bank, texts, "form_expired", 400)
        customer_id = form_tokens(request, world).consume(token, self.decision_purpose, resource.id)
        if not customer_id:
            return _message(request, bank, texts, "form_expired", 400)
        return customer_id


# -- consents -------------------------------------------------------------------------


def _find_consent(
    world: World, bank: Bank, consent_id: str, authorisation_id: str
) -> Consent | None:
    consent = consents.find_consent(world, bank, consent_id)
    if consent is None or consent.authorisation_id != authorisation_id:
        return None
    return consent


def _consent_waits(consent: Consent) -> bool:
    return consent.status is ConsentStatus.RECEIVED


_CONSENTS = _Flow[Consent](
    find=_find_consent,
    waits=_consent_waits,
    intro=lambda texts, consent: texts("login_intro_consent", app=consent.tpp_name),
    login_purpose="consent-login",
    decision_purpose="consent-decision",
)


def _consent_decision(
    request: Request,
    world: World,
    bank: Bank,
    consent: Consent,
    customer: Customer,
    *,
    nothing_selected: bool = False,
) -> HTMLResponse:
    texts = texts_for(request, bank)
    accounts = consents.offered_accounts(world, consent, customer)
    return render(
        request,
        bank,
        texts,
        "sca_consent.html",
        status=400 if nothing_selected else 200,
        consent=consent,
        scopes=[texts(key) for key in consent_scopes(consent)],
        until=texts("until", date=texts.day(consent.valid_until)),
        frequency=(
            texts("frequency", n=consent.frequency_per_day)
            if consent.recurring
            else texts("one_off")
        ),
        accounts=[(account.id, account_label(account)) for account in accounts],
        nothing_selected=nothing_selected,
        action=f"{request.url.path}/decision",
        token=_CONSENTS.decision_form_token(request, world, consent, customer),
    )


@router.get("/consents/{consent_id}/{authorisation_id}", response_class=HTMLResponse)
async def consent_login_page(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    consent_id: ResourceId,
    authorisation_id: ResourceId,
) -> HTMLResponse:
    """The login form that starts the PSU's authorisation of a consent."""
    texts = texts_for(request, bank)
    consent = _CONSENTS.waiting(request, world, bank, texts, consent_id, authorisation_id)
    if isinstance(consent, HTMLResponse):
        return consent
    return _CONSENTS.login_form(request, world, bank, consent)


@router.post("/consents/{consent_id}/{authorisation_id}", response_model=None)
async def consent_login(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    consent_id: ResourceId,
    authorisation_id: ResourceId,
    token: TokenField = "",
    login: LoginField = "",
    password: LoginField = "",
) -> Response:
    """Check the credentials, then show what the app asks for. A customer who does not
    own the named accounts only learns so: the consent still waits for its owner."""
    texts = texts_for(request, bank)
    consent = _CONSENTS.waiting(request, world, bank, texts, consent_id, authorisation_id)
    if isinstance(consent, HTMLResponse):
        return consent
    customer = _CONSENTS.logged_in(
        request, world, bank, texts, consent, token=token, login=login, password=password
    )
    if isinstance(customer, HTMLResponse):
        return customer
    if consents.foreign_accounts(world, consent, customer):
        return _message(request, bank, texts, "not_your_accounts", 403)
    consent.sca_status = ScaStatus.STARTED
    return _consent_decision(request, world, bank, consent, customer)


@router.post("/consents/{consent_id}/{authorisation_id}/decision", response_model=None)
async def consent_decision(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    consent_id: ResourceId,
    authorisation_id: ResourceId,
    token: TokenField = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    account: Annotated[list[str] | None, Form(max_length=100)] = None,
) -> Response:
    """Approve (for the ticked accounts) or deny, then go back to the TPP."""
    texts = texts_for(request, bank)
    consent = _CONSENTS.waiting(request, world, bank, texts, consent_id, authorisation_id)
    if isinstance(consent, HTMLResponse):
        return consent
    customer_id = _CONSENTS.decided_by(
        request, world, bank, texts, consent, token=token, decision=decision
    )
    if isinstance(customer_id, HTMLResponse):
        return customer_id
    customer = world.customers.get(customer_id)
    if customer is None:
        return _message(request, bank, texts, "form_expired", 400)
    if decision == "deny":
        consents.reject(world, consent)
        return _redirect(consent.nok_redirect_uri or consent.redirect_uri)
    try:
        consents.approve(world, consent, customer, account or [])
    except ValueError:
        return _consent_decision(request, world, bank, consent, customer, nothing_selected=True)
    return _redirect(consent.redirect_uri)


# -- payments -------------------------------------------------------------------------


def _find_payment(
    world: World, bank: Bank, payment_id: str, authorisation_id: str
) -> Payment | None:
    payment = world.payments.get(payment_id)
    if (
        payment is None
        or payment.bank_id != bank.id
        or payment.authorisation_id != authorisation_id
    ):
        return None
    return payment


def _payment_waits(payment: Payment) -> bool:
    return payment.status is PaymentStatus.RCVD and payment.sca_status in (
        ScaStatus.RECEIVED,
        ScaStatus.STARTED,
    )


_PAYMENTS = _Flow[Payment](
    find=_find_payment,
    waits=_payment_waits,
    intro=lambda texts, _payment: texts("login_intro_payment"),
    login_purpose="payment-login",
    decision_purpose="payment-decision",
)


@router.get("/payments/{payment_id}/{authorisation_id}", response_class=HTMLResponse)
async def payment_login_page(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    payment_id: ResourceId,
    authorisation_id: ResourceId,
) -> HTMLResponse:
    """The login form that starts the PSU's authorisation of a payment."""
    texts = texts_for(request, bank)
    payment = _PAYMENTS.waiting(request, world, bank, texts, payment_id, authorisation_id)
    if isinstance(payment, HTMLResponse):
        return payment
    return _PAYMENTS.login_form(request, world, bank, payment)


@router.post("/payments/{payment_id}/{authorisation_id}", response_model=None)
async def payment_login(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    payment_id: ResourceId,
    authorisation_id: ResourceId,
    token: TokenField = "",
    login: LoginField = "",
    password: LoginField = "",
) -> Response:
    """Check the credentials, then show the payment to approve. A customer who does not
    own the debtor account only learns so: the payment still waits for its owner."""
    texts = texts_for(request, bank)
    payment = _PAYMENTS.waiting(request, world, bank, texts, payment_id, authorisation_id)
    if isinstance(payment, HTMLResponse):
        return payment
    customer = _PAYMENTS.logged_in(
        request, world, bank, texts, payment, token=token, login=login, password=password
    )
    if isinstance(customer, HTMLResponse):
        return customer
    debtor = world.accounts[payment.debtor_account_id]
    if debtor.customer_id != customer.id:
        return _message(request, bank, texts, "not_your_payment", 403)
    payment.sca_status = ScaStatus.STARTED
    return render(
        request,
        bank,
        texts,
        "sca_payment.html",
        debtor=account_label(debtor),
        payment=payment,
        creditor_account=payment.creditor_iban or payment.creditor_bban or "",
        amount=texts.money(payment.amount, payment.currency),
        action=f"{request.url.path}/decision",
        token=_PAYMENTS.decision_form_token(request, world, payment, customer),
    )


@router.post("/payments/{payment_id}/{authorisation_id}/decision", response_model=None)
async def payment_decision(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    payment_id: ResourceId,
    authorisation_id: ResourceId,
    token: TokenField = "",
    decision: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Authorise or refuse the payment, then go back to the TPP."""
    texts = texts_for(request, bank)
    payment = _PAYMENTS.waiting(request, world, bank, texts, payment_id, authorisation_id)
    if isinstance(payment, HTMLResponse):
        return payment
    customer_id = _PAYMENTS.decided_by(
        request, world, bank, texts, payment, token=token, decision=decision
    )
    if isinstance(customer_id, HTMLResponse):
        return customer_id
    if decision == "approve":
        payments.authorise_payment(world, payment.id, customer_id)
    else:
        payments.fail_payment_authorisation(world, payment.id)
    ok = payment.status is not PaymentStatus.RJCT
    return _redirect(
        payment.redirect_uri if ok else payment.nok_redirect_uri or payment.redirect_uri
    )
