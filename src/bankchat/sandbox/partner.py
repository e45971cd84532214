"""The sandbox bank's partner extension: what NextGenPSD2 lacks, as the bank's own service.

Card block and unblock on behalf of a consenting customer, the bank's rules for
suspicious card transactions, and webhooks that push events (ids only, never personal
data and never the generator's fraud label) to a registered partner, signed with the
partner secret (:mod:`bankchat.hmac_signing`). Every change to partner state happens
here; ``partner_api`` only translates HTTP.

The sandbox only ever delivers to loopback hosts, so it cannot send traffic off the
machine whatever URL a caller registers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import statistics
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import httpx

from bankchat import hmac_signing
from bankchat.sandbox import consents
from bankchat.sandbox.errors import Psd2Error, format_error, resource_unknown
from bankchat.sandbox.model import Account, Bank, Card, Transaction
from bankchat.sandbox.world import World, WorldEvent, new_id

if TYPE_CHECKING:
    from bankchat.sandbox.options import SandboxOptions

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Bankchat-Signature"
EVENT_ID_HEADER = "X-Bankchat-Event-Id"

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_WEBHOOKS_PER_BANK = 20
MAX_URL_LENGTH = 2048

# Suspicious-transaction rules.
HABIT_WINDOW = timedelta(days=60)
HABIT_MIN_HISTORY = 3  # fewer earlier card payments than this is no habit to compare with
HABIT_FACTOR = Decimal(5)
HABIT_MIN_AMOUNT = Decimal(100)
FAR_AWAY_KM = 1000.0
EARTH_RADIUS_KM = 6371.0

# Delivery.
DELIVERY_TIMEOUT = 5.0
MAX_ATTEMPTS = 5
DELIVERY_WORKERS = 8
MAX_QUEUED_DELIVERIES = 10_000
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 425, 429})


class EventType(StrEnum):
    """Events a partner may subscribe to."""

    TRANSACTION_CREATED = "transaction.created"
    TRANSACTION_BOOKED = "transaction.booked"
    TRANSACTION_SUSPICIOUS = "transaction.suspicious"
    CARD_BLOCKED = "card.blocked"
    CARD_UNBLOCKED = "card.unblocked"


class BlockReason(StrEnum):
    """Why a card is blocked."""

    SUSPECTED_FRAUD = "suspected_fraud"
    LOST = "lost"
    STOLEN = "stolen"
    CUSTOMER_REQUEST = "customer_request"


# A lost or stolen card is gone for good: the customer needs a replacement card.
PERMANENT_BLOCK_REASONS = frozenset({BlockReason.LOST, BlockReason.STOLEN})


class SuspicionReason(StrEnum):
    """Which of the bank's rules a card transaction tripped."""

    COMPROMISED_TERMINAL = "compromised_terminal"
    UNUSUAL_LOCATION = "unusual_location"
    UNUSUAL_AMOUNT = "unusual_amount"


# Only these event details may leave the bank: ids and codes, nothing personal.
_DELIVERED_DETAILS = ("cardId", "reason")


@dataclass(slots=True, frozen=True)
class Webhook:
    """A partner's subscription: where to POST which events of one bank."""

    id: str
    bank_id: str
    url: str
    events: frozenset[EventType]
    created: datetime


@dataclass(slots=True)
class Delivery:
    """One event on its way to one webhook."""

    event_id: str
    webhook_id: str
    url: str
    body: bytes
    attempts: int = 0


@dataclass(slots=True, frozen=True)
class DeliveryOutcome:
    """How a delivery ended, kept for inspection (tests, the operator)."""

    event_id: str
    webhook_id: str
    attempts: int
    delivered: bool
    status_code: int | None


@dataclass
class Partner:
    """Partner-extension state of one world: webhooks, marked terminals, delivery queue."""

    webhooks: dict[str, Webhook] = field(default_factory=dict)
    compromised_terminals: set[str] = field(default_factory=set)
    request_guard: hmac_signing.ReplayGuard = field(default_factory=hmac_signing.ReplayGuard)
    outcomes: deque[DeliveryOutcome] = field(default_factory=lambda: deque(maxlen=1000))
    # Signatures carry real time: receivers check them against their own clocks, whereas
    # the world's clock is business time and may be anywhere.
    wall_clock: Callable[[], float] = time.time
    retry_base_delay: float = 0.5
    loop: asyncio.AbstractEventLoop | None = None
    _queue: asyncio.Queue[Delivery] | None = None
    _loop_thread: int | None = None
    _waiting: deque[Delivery] = field(default_factory=deque)

    def attach(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[Delivery]:
        """Start queueing deliveries for the delivery workers on ``loop``."""
        self.loop = loop
        self._loop_thread = threading.get_ident()
        self._queue = asyncio.Queue(MAX_QUEUED_DELIVERIES)
        while self._waiting:
            self._put(self._waiting.popleft())
        return self._queue

    def waiting(self) -> list[Delivery]:
        """Deliveries queued while no delivery loop runs (they go out once one starts)."""
        return list(self._waiting)

    def detach(self) -> None:
        self.loop = None
        self._queue = None
        self._loop_thread = None

    def enqueue(self, delivery: Delivery) -> None:
        """Queue ``delivery``; safe from any thread (the world's owner is the loop)."""
        loop = self.loop
        if loop is None:
            if len(self._waiting) < MAX_QUEUED_DELIVERIES:
                self._waiting.append(delivery)
            return
        if threading.get_ident() == self._loop_thread:
            self._put(delivery)
        else:
            loop.call_soon_threadsafe(self._put, delivery)

    def _put(self, delivery: Delivery) -> None:
        if self._queue is None:
            return
        try:
            self._queue.put_nowait(delivery)
        except asyncio.QueueFull:
            log.warning("webhook queue full, dropping event %s", delivery.event_id)


_partners: weakref.WeakKeyDictionary[World, Partner] = weakref.WeakKeyDictionary()


def partner_of(world: World) -> Partner:
    """The partner state of ``world``, created (and subscribed to its events) on first use."""
    partner = _partners.get(world)
    if partner is None:
        partner = _partners[world] = Partner()
        # A weak reference, so that the world can still be collected once unused.
        world_ref = weakref.ref(world)

        def on_event(event: WorldEvent) -> None:
            subscribed = world_ref()
            if subscribed is not None:
                _on_world_event(subscribed, partner, event)

        world.subscribe(on_event)
    return partner


# -- webhooks -------------------------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """``url`` if it is an http(s) URL on a loopback host; else a 400 error."""
    if len(url) > MAX_URL_LENGTH:
        raise format_error(f"url is longer than {MAX_URL_LENGTH} characters", "url")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise format_error("url is not a valid URL", "url") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise format_error("url must be an absolute http or https URL", "url")
    if parsed.host not in LOOPBACK_HOSTS:
        raise Psd2Error(
            400,
            "URL_NOT_ALLOWED",
            "the sandbox delivers webhooks only to loopback hosts (127.0.0.1, localhost, ::1)",
            path="url",
        )
    return url


def register_webhook(world: World, bank_id: str, url: str, events: Iterable[EventType]) -> Webhook:
    """Subscribe ``url`` to ``events`` of bank ``bank_id``."""
    partner = partner_of(world)
    check_webhook_url(url)
    wanted = frozenset(events)
    if not wanted:
        raise format_error("events must name at least one event type", "events")
    existing = list_webhooks(world, bank_id)
    for webhook in existing:
        if webhook.url == url:
            raise Psd2Error(
                409, "WEBHOOK_EXISTS", f"url is already registered as webhook {webhook.id}"
            )
    if len(existing) >= MAX_WEBHOOKS_PER_BANK:
        raise Psd2Error(
            409, "WEBHOOK_LIMIT_REACHED", f"at most {MAX_WEBHOOKS_PER_BANK} webhooks per bank"
        )
    webhook = Webhook(new_id(), bank_id, url, wanted, world.clock())
    partner.webhooks[webhook.id] = webhook
    return webhook


def list_webhooks(world: World, bank_id: str) -> list[Webhook]:
    """The webhooks registered at ``bank_id``, oldest first."""
    return [w for w in partner_of(world).webhooks.values() if w.bank_id == bank_id]


def delete_webhook(world: World, bank_id: str, webhook_id: str) -> None:
    """Remove a webhook of ``bank_id``; queued deliveries to it are dropped."""
    webhooks = partner_of(world).webhooks
    webhook = webhooks.get(webhook_id)
    if webhook is None or webhook.bank_id != bank_id:
        raise resource_unknown(f"no webhook with id {webhook_id!r} at this bank")
    del webhooks[webhook_id]


# -- cards ----------------------------------------------------------------------------


def consented_account(world: World, bank: Bank, consent_id: str | None, account_id: str) -> Account:
    """The account ``account_id`` of ``bank`` if consent ``consent_id`` covers it.

    The consent is judged exactly as for a PSD2 read (unknown, expired, not valid).
    """
    if not consent_id:
        raise format_error("header Consent-ID is missing", "Consent-ID")
    consent = consents.valid_consent(world, bank, consent_id)
    account = world.accounts.get(account_id)
    if account is None or account.bank_id != bank.id:
        raise resource_unknown(f"no account with id {account_id!r} at this bank")
    if consents.is_list_only(consent) or account.id not in consent.account_ids:
        raise Psd2Error(401, "CONSENT_INVALID", "the consent does not cover this account")
    return account


def cards_of(world: World, account_id: str) -> list[Card]:
    """The cards drawing on an account (debit cards of checking, or the credit card)."""
    return sorted(
        (card for card in world.cards.values() if card.account_id == account_id),
        key=lambda card: card.id,
    )


def card_of(world: World, account: Account, card_id: str) -> Card:
    """Card ``card_id`` if it draws on ``account``; else 404."""
    card = world.cards.get(card_id)
    if card is None or card.account_id != account.id:
        raise resource_unknown(f"no card with id {card_id!r} on this account")
    return card


def block_card(world: World, card: Card, reason: BlockReason) -> Card:
    """Block ``card``; a card already blocked keeps its original block."""
    if card.blocked:
        return card
    card.blocked = True
    card.blocked_at = world.clock()
    card.block_reason = reason.value
    _emit_card_event(world, card, EventType.CARD_BLOCKED, reason.value)
    return card


def unblock_card(world: World, card: Card) -> Card:
    """Unblock ``card`` unless it was reported lost or stolen (that card is gone)."""
    if not card.blocked:
        return card
    if card.block_reason in PERMANENT_BLOCK_REASONS:
        raise Psd2Error(
            409,
            "STATUS_INVALID",
            f"a card blocked as {card.block_reason} stays blocked; a replacement is needed",
        )
    card.blocked = False
    card.blocked_at = None
    card.block_reason = None
    _emit_card_event(world, card, EventType.CARD_UNBLOCKED, None)
    return card


def card_is_usable(world: World, card_id: str) -> bool:
    """Whether a payment with ``card_id`` may be authorised now: known, not blocked, valid."""
    card = world.cards.get(card_id)
    if card is None or card.blocked:
        return False
    return card.expiry >= world.today()


def mark_terminal_compromised(world: World, terminal_id: str) -> None:
    """The bank has learnt that ``terminal_id`` skims cards; flag payments made there."""
    partner_of(world).compromised_terminals.add(terminal_id)


def _emit_card_event(world: World, card: Card, kind: EventType, reason: str | None) -> None:
    account = world.accounts[card.account_id]
    detail = {"cardId": card.id}
    if reason is not None:
        detail["reason"] = reason
    world.emit(WorldEvent(kind.value, account.bank_id, account.id, detail=detail))


# -- suspicious transactions ----------------------------------------------------------


def suspicion_of(world: World, tx: Transaction) -> SuspicionReason | None:
    """The bank's verdict on a new card payment, from its rules alone.

    It never looks at ``tx.fraud``: that is the generator's ground truth, which the
    bank cannot know.
    """
    if tx.card_id is None or tx.amount >= 0:
        return None
    if tx.terminal_id is not None and tx.terminal_id in partner_of(world).compromised_terminals:
        return SuspicionReason.COMPROMISED_TERMINAL
    earlier = [
        other
        for other in world.transactions.get(tx.account_id, ())
        if other.card_id == tx.card_id and other.amount < 0 and other.id != tx.id
    ]
    if _far_from_usual_places(tx, earlier):
        return SuspicionReason.UNUSUAL_LOCATION
    if _far_above_habit(tx, earlier):
        return SuspicionReason.UNUSUAL_AMOUNT
    return None


def _far_above_habit(tx: Transaction, earlier: list[Transaction]) -> bool:
    amount = -tx.amount
    if amount <= HABIT_MIN_AMOUNT:
        return False
    day = tx.transaction_date or tx.value_date
    since = day - HABIT_WINDOW
    recent = [-other.amount for other in earlier if since <= _day_of(other) <= day]
    if len(recent) < HABIT_MIN_HISTORY:
        return False
    return amount > HABIT_FACTOR * statistics.median(recent)


def _far_from_usual_places(tx: Transaction, earlier: list[Transaction]) -> bool:
    if tx.country is None or tx.latitude is None or tx.longitude is None:
        return False
    places = [
        (other.latitude, other.longitude)
        for other in earlier
        if other.latitude is not None and other.longitude is not None
    ]
    if not places:
        return False  # a card's first located payment is nothing to compare with
    if any(other.country == tx.country for other in earlier):
        return False
    return all(
        distance_km(tx.latitude, tx.longitude, lat, lon) > FAR_AWAY_KM for lat, lon in places
    )


def _day_of(tx: Transaction) -> date:
    return tx.transaction_date or tx.value_date


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


# -- events and delivery --------------------------------------------------------------


def _on_world_event(world: World, partner: Partner, event: WorldEvent) -> None:
    # Runs inside World.emit: a failure here must never break the change that emitted.
    try:
        _queue_deliveries(world, partner, event)
        if event.kind == EventType.TRANSACTION_CREATED and event.transaction is not None:
            _check_suspicious(world, event.transaction)
    except Exception:
        log.exception("partner extension failed to handle %s", event.kind)


def _check_suspicious(world: World, tx: Transaction) -> None:
    reason = suspicion_of(world, tx)
    if reason is None or tx.card_id is None:
        return
    bank_id = world.accounts[tx.account_id].bank_id
    world.emit(
        WorldEvent(
            EventType.TRANSACTION_SUSPICIOUS.value,
            bank_id,
            tx.account_id,
            tx,
            {"cardId": tx.card_id, "reason": reason.value},
        )
    )


def event_payload(world: World, event_id: str, event: WorldEvent) -> dict[str, str]:
    """What a webhook receives: ids and codes only; details come over PSD2 with consent."""
    payload = {
        "id": event_id,
        "type": event.kind,
        "created": world.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bankId": event.bank_id,
    }
    if event.account_id is not None:
        payload["accountId"] = event.account_id
    if event.transaction is not None:
        payload["transactionId"] = event.transaction.id
    for key in _DELIVERED_DETAILS:
        if key in event.detail:
            payload[key] = event.detail[key]
    return payload


def _queue_deliveries(world: World, partner: Partner, event: WorldEvent) -> None:
    targets = [
        webhook
        for webhook in partner.webhooks.values()
        if webhook.bank_id == event.bank_id and event.kind in webhook.events
    ]
    if not targets:
        return
    event_id = new_id()
    body = json.dumps(event_payload(world, event_id, event)).encode()
    for webhook in targets:
        partner.enqueue(Delivery(event_id, webhook.id, webhook.url, body))


def delivery_headers(secret: str, delivery: Delivery, now: float) -> dict[str, str]:
    """Headers of one delivery attempt, signed afresh so retries are never stale."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: hmac_signing.sign(secret, delivery.body, int(now)),
        EVENT_ID_HEADER: delivery.event_id,
    }


async def webhook_loop(world: World, options: SandboxOptions) -> None:
    """Deliver queued webhook events until cancelled, with retries and backoff.

    A few workers each hold one delivery only for the length of one attempt; waiting
    for a retry is a timer, so a slow or dead receiver never stalls the others.
    """
    partner = partner_of(world)
    loop = asyncio.get_running_loop()
    queue = partner.attach(loop)
    retries: set[asyncio.TimerHandle] = set()
    # trust_env=False: no proxy from the environment may carry deliveries off the machine.
    async with httpx.AsyncClient(
        timeout=DELIVERY_TIMEOUT, trust_env=False, follow_redirects=False
    ) as http:
        workers = [
            asyncio.create_task(_delivery_worker(partner, options, http, queue, retries))
            for _ in range(DELIVERY_WORKERS)
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            for handle in retries:
                handle.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            partner.detach()


async def _delivery_worker(
    partner: Partner,
    options: SandboxOptions,
    http: httpx.AsyncClient,
    queue: asyncio.Queue[Delivery],
    retries: set[asyncio.TimerHandle],
) -> None:
    while True:
        delivery = await queue.get()
        try:
            await _attempt(partner, options, http, delivery, retries)
        except Exception:
            log.exception("webhook delivery %s failed unexpectedly", delivery.event_id)
        finally:
            queue.task_done()


async def _attempt(
    partner: Partner,
    options: SandboxOptions,
    http: httpx.AsyncClient,
    delivery: Delivery,
    retries: set[asyncio.TimerHandle],
) -> None:
    if delivery.webhook_id not in partner.webhooks:
        return  # unsubscribed meanwhile
    try:
        # Checked again at send time: nothing may leave the machine.
        check_webhook_url(delivery.url)
    except Psd2Error:
        return
    delivery.attempts += 1
    status: int | None = None
    try:
        response = await http.post(
            delivery.url,
            content=delivery.body,
            headers=delivery_headers(options.partner_secret, delivery, partner.wall_clock()),
        )
        status = response.status_code
    except httpx.HTTPError as exc:
        log.info("webhook delivery %s attempt %d: %r", delivery.event_id, delivery.attempts, exc)
    if status is not None and 200 <= status < 300:
        _finish(partner, delivery, True, status)
        return
    permanent = (
        status is not None and 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS
    )
    if permanent or delivery.attempts >= MAX_ATTEMPTS:
        _finish(partner, delivery, False, status)
        return
    delay = partner.retry_base_delay * 2 ** (delivery.attempts - 1)
    loop = asyncio.get_running_loop()

    def retry() -> None:
        retries.discard(handle)
        partner.enqueue(delivery)

    handle = loop.call_later(delay, retry)
    retries.add(handle)


def _finish(partner: Partner, delivery: Delivery, delivered: bool, status: int | None) -> None:
    if not delivered:
        log.warning(
            "webhook delivery %s to %s gave up after %d attempts (last status %s)",
            delivery.event_id,
            delivery.webhook_id,
            delivery.attempts,
            status,
        )
    partner.outcomes.append(
        DeliveryOutcome(
            delivery.event_id, delivery.webhook_id, delivery.attempts, delivered, status
        )
    )
