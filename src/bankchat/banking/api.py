"""HTTP routes of the banking domain: banks, linking, connections, sync, the person's
accounts and transactions, and the webhook through which banks say new data exists.
Thin: each route checks the caller and calls a service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request, Response
from fastapi.responses import RedirectResponse

from bankchat.api_deps import PlatformDep, SessionDep, TxDep
from bankchat.banking import flows, service, sync, webhooks
from bankchat.banking.models import Connection
from bankchat.banking.schemas import (
    AccountOut,
    AccountSyncOut,
    BalanceOut,
    BankEvent,
    BankOut,
    ConnectionOut,
    Id,
    LinkRequest,
    LinkStartedOut,
    MoneyOut,
    NoteRequest,
    SyncOut,
    TransactionOut,
    WebhookAck,
)
from bankchat.errors import problem_responses
from bankchat.identity.deps import CurrentPerson
from bankchat.platform import Platform
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import Balance, StoredTransaction

router = APIRouter(tags=["banking"])

hooks = APIRouter(tags=["bank webhooks"])

_PROBLEMS = problem_responses(
    {
        401: "Not logged in (NOT_AUTHENTICATED).",
        403: "CSRF token missing or wrong (CSRF_FAILED), or read denied.",
        404: "Unknown, or not the caller's (CONNECTION_UNKNOWN, UNKNOWN_BANK).",
        502: "The bank could not be reached or refused (BANK_REFUSED).",
    }
)
_INVALID = problem_responses({422: "Invalid request (VALIDATION_FAILED)."})
_WEBHOOK_PROBLEMS = problem_responses(
    {
        400: "The signed body is not an event with id and type (BAD_REQUEST).",
        401: "Signature missing or invalid (SIGNATURE_MISSING, SIGNATURE_INVALID).",
        404: "No such bank (UNKNOWN_BANK).",
        422: "The bank id cannot be one (VALIDATION_FAILED).",
    }
)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def connection_out(platform: Platform, connection: Connection) -> ConnectionOut:
    today = platform.clock().date()
    days_left = max((connection.valid_until - today).days, 0)
    valid = service.is_valid(connection)
    uses = service.uses_today(connection, today)
    return ConnectionOut(
        id=connection.id,
        bank_id=connection.bank_id,
        bank_name=platform.banks.get(connection.bank_id).name
        if connection.bank_id in platform.banks
        else connection.bank_id,
        status=connection.status,
        scopes=connection.scopes,
        purposes=connection.purposes,
        valid_until=connection.valid_until,
        days_left=days_left if valid else 0,
        expiring_soon=valid and days_left <= service.EXPIRY_WARNING.days,
        frequency_per_day=connection.frequency_per_day,
        uses_today={a.id: uses.get(a.external_id, 0) for a in connection.accounts},
        authorised_at=connection.authorised_at,
        revoked_at=connection.revoked_at,
        revoked_by=connection.revoked_by,
        last_synced_at=connection.last_synced_at,
        last_sync_error=connection.last_sync_error,
        account_ids=[a.id for a in connection.accounts],
    )


def sync_out(report: sync.SyncReport) -> SyncOut:
    return SyncOut(
        connection_id=report.connection_id,
        status=report.status,
        error=report.error,
        accounts=[
            AccountSyncOut(
                account_id=a.account_id,
                added=a.added,
                modified=a.modified,
                removed=a.removed,
                deferred=a.deferred,
            )
            for a in report.accounts
        ],
    )


def money(amount: Decimal, currency: str) -> MoneyOut:
    """The amount exactly as the bank stated it (not rounded: not every currency has
    two decimals)."""
    return MoneyOut(amount=format(amount, "f"), currency=currency)


def balance_out(balance: Balance) -> BalanceOut:
    return BalanceOut(
        balance_type=balance.balance_type,
        amount=money(balance.amount, balance.currency),
        reference_date=balance.reference_date,
    )


def transaction_out(stored: StoredTransaction) -> TransactionOut:
    record = stored.record
    return TransactionOut(
        id=stored.id,
        account_id=stored.account_id,
        status=record.status,
        booking_date=record.booking_date,
        value_date=record.value_date,
        amount=money(record.amount, record.currency),
        counterparty_name=record.counterparty_name,
        counterparty_iban=record.counterparty_iban,
        remittance=record.remittance,
        merchant=record.merchant,
        city=record.city,
        country=record.country,
        note=stored.annotation,
    )


@router.get("/banks", response_model=list[BankOut])
async def list_banks(platform: PlatformDep) -> list[BankOut]:
    """The banks a person can link."""
    return [
        BankOut(
            id=b.id,
            name=b.name,
            country=b.country,
            currency=b.currency,
            language=b.language,
            primary_color=b.primary_color,
            accent_color=b.accent_color,
        )
        for b in platform.banks.all()
    ]


@router.post(
    "/connections",
    status_code=201,
    response_model=LinkStartedOut,
    responses={**_PROBLEMS, **_INVALID},
)
async def start_link(
    body: LinkRequest,
    request: Request,
    me: CurrentPerson,
    platform: PlatformDep,
    tx: TxDep,
) -> LinkStartedOut:
    """Start linking a bank: returns the bank's login page to send the browser to."""
    started = await service.start_link(
        platform,
        tx,
        person_id=me.person.id,
        bank_id=body.bank_id,
        scopes=body.scopes,
        purposes=body.purposes,
        days=body.days,
        psu_ip=client_ip(request),
    )
    return LinkStartedOut(redirect_url=started.redirect_url, expires_at=started.expires_at)


@router.get("/connections/callback", status_code=303, responses={**_PROBLEMS, **_INVALID})
async def link_callback(
    request: Request,
    me: CurrentPerson,
    platform: PlatformDep,
    background: BackgroundTasks,
    state: Annotated[str, Query(min_length=8, max_length=128)],
    outcome: Annotated[str | None, Query(max_length=16)] = None,
) -> RedirectResponse:
    """Where the bank sends the browser back; goes on to the web app with the outcome."""
    result = await flows.complete_link(
        platform,
        person_id=me.person.id,
        state=state,
        denied=outcome == "denied",
        psu_ip=client_ip(request),
        later=background.add_task,
    )
    target = f"/?link={result.outcome}"
    if result.reason:
        target += f"&reason={result.reason}"
    if result.connection_id:
        target += f"&connection={result.connection_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/connections", response_model=list[ConnectionOut], responses=_PROBLEMS)
async def list_connections(
    me: CurrentPerson, platform: PlatformDep, session: SessionDep
) -> list[ConnectionOut]:
    """The caller's connections, newest first, including ended ones."""
    return [
        connection_out(platform, c) for c in await service.list_connections(session, me.person.id)
    ]


@router.get(
    "/connections/{connection_id}",
    response_model=ConnectionOut,
    responses={**_PROBLEMS, **_INVALID},
)
async def get_connection(
    connection_id: Id, me: CurrentPerson, platform: PlatformDep, session: SessionDep
) -> ConnectionOut:
    """One of the caller's connections, ended or not."""
    return connection_out(
        platform, await service.get_connection(session, me.person.id, connection_id)
    )


@router.delete(
    "/connections/{connection_id}",
    response_model=ConnectionOut,
    responses={**_PROBLEMS, **_INVALID},
)
async def revoke_connection(
    connection_id: Id,
    me: CurrentPerson,
    platform: PlatformDep,
    tx: TxDep,
) -> ConnectionOut:
    """End a connection now: reads stop, the bank's consent is deleted, its ids purged."""
    connection = await flows.revoke(
        platform, tx, person_id=me.person.id, connection_id=connection_id
    )
    return connection_out(platform, connection)


@router.post(
    "/connections/{connection_id}/sync",
    response_model=SyncOut,
    responses={**_PROBLEMS, **_INVALID},
)
async def sync_now(
    connection_id: Id,
    request: Request,
    me: CurrentPerson,
    platform: PlatformDep,
) -> SyncOut:
    """Sync a connection now, with the person present (not limited by frequencyPerDay)."""
    report = await sync.sync_now(
        platform, person_id=me.person.id, connection_id=connection_id, psu_ip=client_ip(request)
    )
    return sync_out(report)


@router.get("/accounts", response_model=list[AccountOut], responses=_PROBLEMS)
async def list_accounts(me: CurrentPerson, platform: PlatformDep, tx: TxDep) -> list[AccountOut]:
    """The caller's linked accounts with their latest balances (an audited read)."""
    actor = service.person_actor(me.person.id)
    accounts = await platform.vault.read_accounts(
        tx, person_id=me.person.id, actor=actor, purpose=Purpose.USER_REQUEST
    )
    readable = {a.account_id for a in accounts}
    # Balances only of the accounts shared with balances; asking for more is a refusal.
    with_balances = [
        a.id
        for a in await service.linked_accounts(tx.session, me.person.id)
        if "balances" in a.scopes and a.id in readable
    ]
    balances = (
        await platform.vault.read_balances(
            tx,
            person_id=me.person.id,
            actor=actor,
            purpose=Purpose.USER_REQUEST,
            account_ids=with_balances,
        )
        if with_balances
        else {}
    )
    return [
        AccountOut(
            id=a.account_id,
            bank_id=a.bank_id,
            kind=a.kind,
            name=a.name,
            product=a.product,
            iban=a.iban,
            masked_pan=a.masked_pan,
            currency=a.currency,
            owner_name=a.owner_name,
            balances=[balance_out(b) for b in balances.get(a.account_id, [])],
        )
        for a in accounts
    ]


@router.get(
    "/transactions",
    response_model=list[TransactionOut],
    responses={**_PROBLEMS, **_INVALID},
)
async def list_transactions(
    me: CurrentPerson,
    platform: PlatformDep,
    tx: TxDep,
    account_id: Annotated[list[Id] | None, Query(alias="accountId", max_length=50)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TransactionOut]:
    """The caller's transactions, newest first (an audited read)."""
    stored = await platform.vault.read_transactions(
        tx,
        person_id=me.person.id,
        actor=service.person_actor(me.person.id),
        purpose=Purpose.USER_REQUEST,
        account_ids=account_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return [transaction_out(t) for t in stored]


@router.patch(
    "/transactions/{transaction_id}", status_code=204, responses={**_PROBLEMS, **_INVALID}
)
async def annotate_transaction(
    transaction_id: Id,
    body: NoteRequest,
    me: CurrentPerson,
    platform: PlatformDep,
    tx: TxDep,
) -> Response:
    """Attach a note to a transaction (kept when the bank later books or changes it)."""
    await platform.vault.annotate(
        tx,
        person_id=me.person.id,
        transaction_id=transaction_id,
        text=body.note,
        actor=service.person_actor(me.person.id),
    )
    return Response(status_code=204)


@hooks.post(
    "/hooks/banks/{bank_id}",
    status_code=202,
    response_model=WebhookAck,
    responses=_WEBHOOK_PROBLEMS,
    # The route reads the raw body itself (the signature covers its exact bytes).
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BankEvent.model_json_schema()}},
        }
    },
)
async def bank_webhook(
    bank_id: Id,
    request: Request,
    platform: PlatformDep,
    signature: Annotated[str | None, Header(alias="X-Bankchat-Signature")] = None,
) -> WebhookAck:
    """A signed event from a bank; syncs the affected connections in the background."""
    result = await webhooks.receive(platform, bank_id, await request.body(), signature)
    return WebhookAck(accepted=True, duplicate=result.duplicate)
