"""AIS consents at a sandbox bank: creation, the customer's decision, their lifecycle, and
the check every account read goes through.

A consent names accounts explicitly (by IBAN, BBAN or masked PAN), or leaves the choice to
the customer on the bank's page (empty lists: a bank-offered consent), or asks for every
account (``availableAccounts``, ``availableAccountsWithBalance``, ``allPsd2``). The
accounts it finally covers are fixed when the customer approves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from bankchat.sandbox.errors import Psd2Error, format_error
from bankchat.sandbox.model import (
    Account,
    AccountKind,
    Bank,
    Consent,
    ConsentStatus,
    Customer,
    ScaStatus,
)
from bankchat.sandbox.references import account_reference, find_account
from bankchat.sandbox.world import World, new_id

MAX_VALIDITY = timedelta(days=180)
# The keys of ``Consent.uses`` for the two list reads; reads of an account use its id.
ACCOUNT_LIST_KEY = "/accounts"
CARD_ACCOUNT_LIST_KEY = "/card-accounts"

REFERENCE_LISTS = ("accounts", "balances", "transactions")
LIST_ONLY_KEYS = ("availableAccounts", "availableAccountsWithBalance")
GLOBAL_KEYS = (*LIST_ONLY_KEYS, "allPsd2")
_CASH_ACCOUNT_TYPES = {
    AccountKind.CHECKING: "CACC",
    AccountKind.SAVINGS: "SVGS",
    AccountKind.CREDIT_CARD: "CARD",
}


class Scope(StrEnum):
    """What a read needs from the consent."""

    LIST = "list"
    DETAILS = "details"
    BALANCES = "balances"
    TRANSACTIONS = "transactions"


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """A consent request as the TPP sent it, already checked for shape."""

    access: dict[str, object]
    recurring: bool
    valid_until: date
    frequency_per_day: int
    combined: bool
    redirect_uri: str
    nok_redirect_uri: str | None
    tpp_name: str | None


def cash_account_type(account: Account) -> str:
    return _CASH_ACCOUNT_TYPES[account.kind]


def resolve_reference(world: World, bank: Bank, reference: Mapping[str, object]) -> Account:
    """The account of ``bank`` that ``reference`` names, or a FORMAT_ERROR."""
    iban, bban, masked_pan = (
        value if isinstance(value, str) else None
        for value in (reference.get(k) for k in ("iban", "bban", "maskedPan"))
    )
    account = find_account(world, iban=iban, bban=bban, masked_pan=masked_pan, bank_id=bank.id)
    if account is None:
        raise format_error(f"account {dict(reference)} is not an account of {bank.name}")
    return account


def _references(access: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = access.get(key)
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def requested_accounts(world: World, bank: Bank, access: Mapping[str, object]) -> list[Account]:
    """The accounts named in ``access``, each once, in the order first named."""
    accounts: dict[str, Account] = {}
    for key in REFERENCE_LISTS:
        for reference in _references(access, key):
            account = resolve_reference(world, bank, reference)
            accounts.setdefault(account.id, account)
    return list(accounts.values())


def is_explicit(consent: Consent) -> bool:
    """True if the consent names its accounts rather than leaving the choice to the PSU."""
    return any(_references(consent.access, key) for key in REFERENCE_LISTS)


def is_list_only(consent: Consent) -> bool:
    """True for the consents that only allow reading the list of accounts."""
    return any(key in consent.access for key in LIST_ONLY_KEYS)


def check_access(world: World, bank: Bank, access: Mapping[str, object]) -> None:
    """Refuse access objects that ask for nothing, mix the forms, or name foreign accounts."""
    lists = [key for key in REFERENCE_LISTS if key in access]
    globals_ = [key for key in GLOBAL_KEYS if key in access]
    if not lists and not globals_:
        raise format_error("access must name accounts, balances, transactions or allPsd2", "access")
    # Even an empty list next to a global right would widen what a list-only consent grants.
    if len(globals_) > 1 or (globals_ and lists):
        raise format_error("access mixes account lists with a global access right", "access")
    named = any(_references(access, key) for key in lists)
    if named and any(access.get(key) == [] for key in lists):
        raise format_error("access mixes empty and non-empty account lists", "access")
    for key in globals_:
        if access[key] != "allAccounts":
            raise Psd2Error(
                400, "PARAMETER_NOT_SUPPORTED", f"{key} only supports 'allAccounts'", path=key
            )
    if "restrictedTo" in access and any(_references(access, k) for k in lists):
        raise format_error("restrictedTo is only allowed without named accounts", "restrictedTo")
    requested_accounts(world, bank, access)


def create_consent(world: World, bank: Bank, request: ConsentRequest) -> Consent:
    """A new consent in status ``received``, waiting for the customer's SCA."""
    check_access(world, bank, request.access)
    today = world.today()
    if request.valid_until < today:
        raise format_error("validUntil lies in the past", "validUntil")
    consent = Consent(
        id=new_id(),
        bank_id=bank.id,
        access=request.access,
        recurring=request.recurring,
        valid_until=min(request.valid_until, today + MAX_VALIDITY),
        frequency_per_day=request.frequency_per_day if request.recurring else 1,
        combined=request.combined,
        status=ConsentStatus.RECEIVED,
        sca_status=ScaStatus.RECEIVED,
        created_at=world.clock(),
        last_action_date=today,
        redirect_uri=request.redirect_uri,
        nok_redirect_uri=request.nok_redirect_uri,
        authorisation_id=new_id(),
    )
    if request.tpp_name:
        consent.tpp_name = request.tpp_name[:70]
    world.consents[consent.id] = consent
    return consent


def find_consent(world: World, bank: Bank, consent_id: str) -> Consent | None:
    """The consent ``consent_id`` at ``bank`` with its status brought up to date."""
    consent = world.consents.get(consent_id)
    if consent is None or consent.bank_id != bank.id:
        return None
    refresh_status(world, consent)
    return consent


def refresh_status(world: World, consent: Consent) -> ConsentStatus:
    """Expire the consent if its last valid day has passed."""
    open_states = (ConsentStatus.RECEIVED, ConsentStatus.VALID)
    if consent.status in open_states and consent.valid_until < world.today():
        consent.status = ConsentStatus.EXPIRED
        consent.last_action_date = consent.valid_until + timedelta(days=1)
    return consent.status


def offered_accounts(world: World, consent: Consent, customer: Customer) -> list[Account]:
    """The accounts the customer chooses from on the SCA page."""
    if is_explicit(consent):
        return requested_accounts(world, world.banks[consent.bank_id], consent.access)
    accounts = world.customer_accounts(customer.id)
    restricted = consent.access.get("restrictedTo")
    if isinstance(restricted, list):
        accounts = [a for a in accounts if cash_account_type(a) in restricted]
    return accounts


def foreign_accounts(world: World, consent: Consent, customer: Customer) -> list[Account]:
    """Accounts named by the consent that belong to somebody else than ``customer``."""
    offered = offered_accounts(world, consent, customer)
    return [a for a in offered if a.customer_id != customer.id]


def approve(world: World, consent: Consent, customer: Customer, selected: Iterable[str]) -> None:
    """The customer approved: the consent becomes valid for the accounts they selected.

    A recurring consent replaces the customer's former recurring consent for the same app.
    """
    _require_open(consent)
    offered = {a.id for a in offered_accounts(world, consent, customer)}
    chosen = offered & set(selected)
    if not chosen:
        raise ValueError("no account selected")
    bank = world.banks[consent.bank_id]
    access = consent.access
    if is_explicit(consent):
        ids = {key: _ids(world, bank, _references(access, key)) & chosen for key in REFERENCE_LISTS}
        consent.account_ids = ids["accounts"] | ids["balances"] | ids["transactions"]
        consent.balance_account_ids = ids["balances"]
        consent.transaction_account_ids = ids["transactions"]
    else:
        consent.account_ids = chosen
        everything = "allPsd2" in access
        with_balances = everything or "availableAccountsWithBalance" in access
        consent.balance_account_ids = chosen if with_balances or "balances" in access else set()
        consent.transaction_account_ids = (
            chosen if everything or "transactions" in access else set()
        )
    if consent.recurring:
        _expire_former_recurring(world, consent, customer)
    consent.customer_id = customer.id
    consent.status = ConsentStatus.VALID
    consent.sca_status = ScaStatus.FINALISED
    consent.last_action_date = world.today()


def reject(world: World, consent: Consent) -> None:
    """The customer denied. The consent stays unbound: only an approval ties it to them."""
    _require_open(consent)
    consent.status = ConsentStatus.REJECTED
    consent.sca_status = ScaStatus.FAILED
    consent.last_action_date = world.today()


def revoke_by_psu(world: World, consent: Consent, customer: Customer) -> bool:
    """The customer withdrew the consent in online banking; False if it was not theirs."""
    refresh_status(world, consent)
    if consent.customer_id != customer.id or consent.status is not ConsentStatus.VALID:
        return False
    consent.status = ConsentStatus.REVOKED_BY_PSU
    consent.last_action_date = world.today()
    return True


def terminate_by_tpp(world: World, consent: Consent) -> None:
    """The TPP deleted the consent; a consent that already ended keeps its final status."""
    if consent.status in (ConsentStatus.RECEIVED, ConsentStatus.VALID):
        consent.status = ConsentStatus.TERMINATED_BY_TPP
        if consent.sca_status in (ScaStatus.RECEIVED, ScaStatus.STARTED):
            consent.sca_status = ScaStatus.FAILED
        consent.last_action_date = world.today()


def access_view(world: World, consent: Consent) -> dict[str, object]:
    """The ``access`` object reported on GET: once approved, a consent naming accounts or
    leaving the choice to the customer shows only the accounts the customer ticked; before
    that, and for a global access right, it shows what was asked for."""
    if consent.customer_id is None or any(key in consent.access for key in GLOBAL_KEYS):
        return consent.access
    chosen = {
        "accounts": consent.account_ids,
        "balances": consent.balance_account_ids,
        "transactions": consent.transaction_account_ids,
    }
    view: dict[str, object] = {}
    if is_explicit(consent):
        bank = world.banks[consent.bank_id]
        for key in REFERENCE_LISTS:
            kept = [
                reference
                for reference in _references(consent.access, key)
                if resolve_reference(world, bank, reference).id in chosen[key]
            ]
            if kept:  # an empty list would read as "the bank offers the choice"
                view[key] = kept
        return view
    for key in REFERENCE_LISTS:
        if key in consent.access:
            view[key] = [account_reference(world.accounts[i]) for i in sorted(chosen[key])]
    return view


def customer_consents(world: World, customer: Customer) -> list[Consent]:
    """The consents ``customer`` decided on, newest first."""
    consents = [c for c in world.consents.values() if c.customer_id == customer.id]
    for consent in consents:
        refresh_status(world, consent)
    return sorted(consents, key=lambda c: c.created_at, reverse=True)


def valid_consent(world: World, bank: Bank, consent_id: str) -> Consent:
    """The consent behind a read's Consent-ID header, or the spec's error if unusable."""
    consent = find_consent(world, bank, consent_id)
    if consent is None:
        raise Psd2Error(403, "CONSENT_UNKNOWN", "the Consent-ID is not known to this bank")
    if consent.status is ConsentStatus.EXPIRED:
        raise Psd2Error(401, "CONSENT_EXPIRED", "the consent has expired")
    if consent.status is not ConsentStatus.VALID:
        raise Psd2Error(401, "CONSENT_INVALID", f"the consent is {consent.status.value}")
    return consent


def authorise_read(
    world: World, consent: Consent, scope: Scope, account: Account, *, psu_present: bool
) -> None:
    """Check that a valid ``consent`` allows this read and count it against frequencyPerDay."""
    check_coverage(consent, scope, account)
    count_read(world, consent, account.id, psu_present=psu_present)


def check_coverage(consent: Consent, scope: Scope, account: Account) -> None:
    """Refuse a read of ``account`` that the consent does not cover."""
    if not _covers(consent, scope, account):
        raise Psd2Error(
            401, "CONSENT_INVALID", f"the consent does not cover {scope.value} of this account"
        )


def count_read(world: World, consent: Consent, resource: str, *, psu_present: bool) -> None:
    """Count a read without the PSU present per ``resource`` (an account id or one of the
    list keys) and day, and refuse it beyond frequencyPerDay. Reads with the PSU present
    are not limited."""
    today = world.today()
    if not psu_present:
        key = (today, resource)
        used = consent.uses.get(key, 0)
        if used >= consent.frequency_per_day:
            raise Psd2Error(
                429, "ACCESS_EXCEEDED", "frequencyPerDay reached for this account today"
            )
        consent.uses[key] = used + 1
    consent.last_action_date = today


def _covers(consent: Consent, scope: Scope, account: Account) -> bool:
    if is_list_only(consent) or account.id not in consent.account_ids:
        return False
    if scope is Scope.BALANCES:
        return account.id in consent.balance_account_ids
    if scope is Scope.TRANSACTIONS:
        return account.id in consent.transaction_account_ids
    return True


def _require_open(consent: Consent) -> None:
    if consent.status is not ConsentStatus.RECEIVED:
        raise ValueError(f"consent {consent.id} is {consent.status.value}, not received")


def _ids(world: World, bank: Bank, references: Sequence[Mapping[str, object]]) -> set[str]:
    return {resolve_reference(world, bank, reference).id for reference in references}


def redirect_origin(uri: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of ``uri``, the default port spelled out."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _expire_former_recurring(world: World, consent: Consent, customer: Customer) -> None:
    # "The same TPP" should be the TPP's certified identity, which the sandbox does not
    # have. The brand header is free text any caller can set, so keying on it would let
    # one app expire another's consents. The origin the PSU is sent back to is the closer
    # proxy: an app only learns the outcome at its own redirect origin.
    if consent.redirect_uri is None:
        return
    origin = redirect_origin(consent.redirect_uri)
    for former in world.consents.values():
        if (
            former is not consent
            and former.recurring
            and former.bank_id == consent.bank_id
            and former.customer_id == customer.id
            and former.redirect_uri is not None
            and redirect_origin(former.redirect_uri) == origin
            and former.status is ConsentStatus.VALID
        ):
            former.status = ConsentStatus.EXPIRED
            former.last_action_date = world.today()
