"""HTTP routes of the partner extension under ``/banks/<bank-id>/partner/v1``.

Every request carries ``X-Partner-Signature`` (HMAC with the partner secret over the
method, path with query, ``X-Request-ID`` and raw body) and ``X-Request-ID``; an
``X-Request-ID`` is accepted once. Errors have the NextGenPSD2 ``tppMessages`` shape.
The routes only translate HTTP; the rules live in ``partner``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bankchat import hmac_signing
from bankchat.sandbox import partner
from bankchat.sandbox.deps import BankDep, RequestIdDep, WorldDep, require_request_id
from bankchat.sandbox.errors import Psd2Error
from bankchat.sandbox.model import Account, Card
from bankchat.sandbox.partner import BlockReason, EventType

PARTNER_SIGNATURE_HEADER = "X-Partner-Signature"


def path_with_query(request: Request) -> str:
    """The request target as the client sent it (percent-encoding kept), with the query."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    target: str = raw_path.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


async def require_partner_signature(
    request: Request,
    world: WorldDep,
    signature: Annotated[str | None, Header(alias=PARTNER_SIGNATURE_HEADER)] = None,
    request_id: Annotated[str | None, Header(alias="X-Request-ID")] = None,
) -> None:
    """Refuse the request unless it is signed with the partner secret and its
    ``X-Request-ID`` was not used before."""
    if not signature:
        raise Psd2Error(401, "SIGNATURE_MISSING", f"header {PARTNER_SIGNATURE_HEADER} is missing")
    secret: str = request.app.state.options.partner_secret
    state = partner.partner_of(world)
    now = state.wall_clock()
    body = await request.body()
    context = hmac_signing.request_context(
        request.method, path_with_query(request), request_id or ""
    )
    try:
        hmac_signing.verify(
            secret, body, signature, now, tolerance=state.request_guard.tolerance, context=context
        )
    except hmac_signing.SignatureError as exc:
        raise Psd2Error(401, "SIGNATURE_INVALID", str(exc)) from None
    # Checked only now, so an unsigned caller learns nothing else about its request.
    checked_id = await require_request_id(request_id)
    timestamp, _ = hmac_signing.parse(signature)
    try:
        state.request_guard.check(checked_id, timestamp, now)
    except hmac_signing.ReplayedMessage:
        raise Psd2Error(
            401, "SIGNATURE_INVALID", "this X-Request-ID was already used (replayed request)"
        ) from None
    except hmac_signing.SignatureError as exc:
        raise Psd2Error(401, "SIGNATURE_INVALID", str(exc)) from None


router = APIRouter(
    prefix="/banks/{bank_id}/partner/v1",
    tags=["partner extension"],
    dependencies=[Depends(require_partner_signature)],
)


class _Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class WebhookRequest(_Schema):
    url: str = Field(max_length=partner.MAX_URL_LENGTH)
    events: list[EventType] = Field(min_length=1, max_length=len(EventType))


class WebhookResource(_Schema):
    webhook_id: str
    url: str
    events: list[EventType]
    created: datetime


class WebhookList(_Schema):
    webhooks: list[WebhookResource]


class BlockRequest(_Schema):
    reason: BlockReason


class CardResource(_Schema):
    card_id: str
    account_id: str
    masked_pan: str
    expiry: str = Field(description="YYYY-MM")
    blocked: bool
    blocked_at: datetime | None
    block_reason: str | None


class CardList(_Schema):
    cards: list[CardResource]


def _webhook(webhook: partner.Webhook) -> WebhookResource:
    return WebhookResource(
        webhook_id=webhook.id,
        url=webhook.url,
        events=sorted(webhook.events),
        created=webhook.created,
    )


def _card(card: Card) -> CardResource:
    return CardResource(
        card_id=card.id,
        account_id=card.account_id,
        masked_pan=card.masked_pan,
        expiry=card.expiry.strftime("%Y-%m"),
        blocked=card.blocked,
        blocked_at=card.blocked_at,
        block_reason=card.block_reason,
    )


AccountIdPath = Annotated[str, Path(max_length=64)]
CardIdPath = Annotated[str, Path(max_length=64)]
ConsentIdHeader = Annotated[str | None, Header(alias="Consent-ID", max_length=128)]


async def _consented_account(
    world: WorldDep, bank: BankDep, account_id: AccountIdPath, consent_id: ConsentIdHeader = None
) -> Account:
    return partner.consented_account(world, bank, consent_id, account_id)


ConsentedAccountDep = Annotated[Account, Depends(_consented_account)]


@router.post("/webhooks", status_code=201, response_model_by_alias=True)
async def create_webhook(
    world: WorldDep, bank: BankDep, _request_id: RequestIdDep, body: WebhookRequest
) -> WebhookResource:
    """Subscribe a loopback URL to events of this bank."""
    return _webhook(partner.register_webhook(world, bank.id, body.url, body.events))


@router.get("/webhooks", response_model_by_alias=True)
async def get_webhooks(world: WorldDep, bank: BankDep, _request_id: RequestIdDep) -> WebhookList:
    """The webhooks registered at this bank."""
    return WebhookList(webhooks=[_webhook(w) for w in partner.list_webhooks(world, bank.id)])


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def remove_webhook(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    webhook_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Unsubscribe; events not yet delivered to it are dropped."""
    partner.delete_webhook(world, bank.id, webhook_id)
    return Response(status_code=204)


@router.get("/accounts/{account_id}/cards", response_model_by_alias=True)
async def get_cards(
    world: WorldDep, _request_id: RequestIdDep, account: ConsentedAccountDep
) -> CardList:
    """The cards drawing on an account the consent covers (masked PAN only)."""
    return CardList(cards=[_card(card) for card in partner.cards_of(world, account.id)])


@router.post("/accounts/{account_id}/cards/{card_id}/block", response_model_by_alias=True)
async def block_card(
    world: WorldDep,
    _request_id: RequestIdDep,
    account: ConsentedAccountDep,
    card_id: CardIdPath,
    body: BlockRequest,
) -> CardResource:
    """Block a card; blocking a blocked card changes nothing."""
    card = partner.card_of(world, account, card_id)
    return _card(partner.block_card(world, card, body.reason))


@router.post("/accounts/{account_id}/cards/{card_id}/unblock", response_model_by_alias=True)
async def unblock_card(
    world: WorldDep, _request_id: RequestIdDep, account: ConsentedAccountDep, card_id: CardIdPath
) -> CardResource:
    """Unblock a card blocked for suspected fraud or at the customer's request."""
    card = partner.card_of(world, account, card_id)
    return _card(partner.unblock_card(world, card))
