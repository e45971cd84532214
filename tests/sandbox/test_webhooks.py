"""Webhooks of the partner extension: the bank's suspicious-transaction rules, and signed
deliveries to a receiver on loopback over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from bankchat import hmac_signing
from bankchat.sandbox import partner
from bankchat.sandbox.model import BookingStatus, Category, FraudPattern, Transaction
from bankchat.sandbox.partner import (
    BlockReason,
    EventType,
    SuspicionReason,
    partner_of,
    suspicion_of,
)
from bankchat.sandbox.world import World, new_id
from tests.conftest import PARTNER_SECRET, LiveSandbox, free_port
from tests.sandbox.partner_client import (
    Received,
    Receiver,
    add_consent,
    on_sandbox_loop,
    partner_call,
    serve_receiver,
)

NORD = "/banks/nordbank/partner/v1"
CARD_ACCOUNT = "nordbank-c1-card"
CARD = "nordbank-c1-cardid"
BERLIN = ("DE", 52.52, 13.40)
MUNICH = ("DE", 48.14, 11.58)
NEW_YORK = ("US", 40.71, -74.01)
LOS_ANGELES = ("US", 34.05, -118.24)
VIENNA = ("AT", 48.21, 16.37)
DELIVERED_KEYS = {"id", "type", "created", "bankId", "accountId", "transactionId", "cardId"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve_receiver()


def card_payment(
    world: World,
    amount: str,
    *,
    days_ago: int = 0,
    place: tuple[str, float, float] = BERLIN,
    terminal: str | None = None,
    fraud: FraudPattern | None = None,
) -> Transaction:
    day = world.today() - timedelta(days=days_ago)
    country, latitude, longitude = place
    return Transaction(
        id=new_id(),
        account_id=CARD_ACCOUNT,
        entry_reference=new_id(),
        amount=Decimal(amount),
        currency="EUR",
        status=BookingStatus.PENDING if days_ago == 0 else BookingStatus.BOOKED,
        value_date=day,
        booking_date=None if days_ago == 0 else day,
        transaction_date=day,
        category=Category.SHOPPING,
        merchant="Shop",
        country=country,
        latitude=latitude,
        longitude=longitude,
        terminal_id=terminal,
        card_id=CARD,
        fraud=fraud,
    )


def add_habit(world: World, amounts: tuple[str, ...] = ("-20.00", "-30.00", "-40.00")) -> None:
    """Earlier card payments in Berlin: the customer's habit."""
    for n, amount in enumerate(amounts, start=1):
        world.record(card_payment(world, amount, days_ago=5 * n), notify=False)


# -- the bank's rules -----------------------------------------------------------------


def test_payment_far_above_the_habit_is_suspicious(world: World) -> None:
    add_habit(world)
    assert suspicion_of(world, card_payment(world, "-500.00")) is SuspicionReason.UNUSUAL_AMOUNT


def test_payment_within_five_times_the_median_is_not_suspicious(world: World) -> None:
    add_habit(world)
    assert suspicion_of(world, card_payment(world, "-150.00")) is None


def test_small_payment_is_never_suspicious_for_its_amount(world: World) -> None:
    add_habit(world, ("-1.00", "-2.00", "-2.00"))
    assert suspicion_of(world, card_payment(world, "-99.00")) is None


def test_payment_without_enough_history_is_not_judged_by_amount(world: World) -> None:
    add_habit(world, ("-20.00", "-30.00"))
    assert suspicion_of(world, card_payment(world, "-5000.00")) is None


def test_habit_only_counts_the_last_sixty_days(world: World) -> None:
    for days_ago in (70, 80, 90):
        world.record(card_payment(world, "-10.00", days_ago=days_ago), notify=False)
    assert suspicion_of(world, card_payment(world, "-500.00")) is None


def test_payment_at_a_compromised_terminal_is_suspicious(world: World) -> None:
    partner.mark_terminal_compromised(world, "T-666")
    payment = card_payment(world, "-12.00", terminal="T-666")
    assert suspicion_of(world, payment) is SuspicionReason.COMPROMISED_TERMINAL


def test_payment_in_a_new_distant_country_is_suspicious(world: World) -> None:
    add_habit(world)
    payment = card_payment(world, "-25.00", place=NEW_YORK)
    assert suspicion_of(world, payment) is SuspicionReason.UNUSUAL_LOCATION


def test_payment_in_a_new_nearby_country_is_not_suspicious(world: World) -> None:
    add_habit(world)
    assert suspicion_of(world, card_payment(world, "-25.00", place=VIENNA)) is None


def test_payment_far_away_in_a_known_country_is_not_suspicious(world: World) -> None:
    world.record(card_payment(world, "-20.00", days_ago=3, place=NEW_YORK), notify=False)
    add_habit(world)
    assert suspicion_of(world, card_payment(world, "-25.00", place=LOS_ANGELES)) is None


def test_payment_in_the_home_country_is_not_suspicious(world: World) -> None:
    add_habit(world)
    assert suspicion_of(world, card_payment(world, "-25.00", place=MUNICH)) is None


def test_fraud_label_alone_does_not_make_a_payment_suspicious(world: World) -> None:
    add_habit(world)
    labelled = card_payment(world, "-25.00", fraud=FraudPattern.COMPROMISED_CARD)
    assert suspicion_of(world, labelled) is None


def test_refund_to_a_card_is_not_suspicious(world: World) -> None:
    add_habit(world)
    partner.mark_terminal_compromised(world, "T-666")
    assert suspicion_of(world, card_payment(world, "900.00", terminal="T-666")) is None


def test_distance_between_berlin_and_new_york() -> None:
    assert 6300 < partner.distance_km(*BERLIN[1:], *NEW_YORK[1:]) < 6450


# -- what is queued for whom ----------------------------------------------------------


def test_events_are_queued_only_for_subscribed_types_of_the_same_bank(world: World) -> None:
    hook = partner.register_webhook(
        world, "nordbank", "http://127.0.0.1:9/hook", [EventType.CARD_BLOCKED]
    )
    partner.block_card(world, world.cards["suedbank-c1-cardid"], BlockReason.LOST)
    world.record(card_payment(world, "-10.00"))
    partner.block_card(world, world.cards[CARD], BlockReason.LOST)
    waiting = partner_of(world).waiting()
    assert [(d.webhook_id, json.loads(d.body)["type"]) for d in waiting] == [
        (hook.id, "card.blocked")
    ]


def test_suspicious_payment_is_queued_after_its_creation(world: World) -> None:
    partner.register_webhook(
        world,
        "nordbank",
        "http://127.0.0.1:9/hook",
        [EventType.TRANSACTION_CREATED, EventType.TRANSACTION_SUSPICIOUS],
    )
    add_habit(world)
    payment = world.record(card_payment(world, "-800.00"))
    payloads = [json.loads(d.body) for d in partner_of(world).waiting()]
    assert [(p["type"], p["transactionId"]) for p in payloads] == [
        ("transaction.created", payment.id),
        ("transaction.suspicious", payment.id),
    ]


def test_event_payload_carries_ids_and_codes_only(world: World) -> None:
    partner.register_webhook(
        world, "nordbank", "http://127.0.0.1:9/hook", [EventType.TRANSACTION_SUSPICIOUS]
    )
    add_habit(world)
    world.record(card_payment(world, "-800.00", fraud=FraudPattern.AMOUNT_OUTLIER))
    (delivery,) = partner_of(world).waiting()
    payload = json.loads(delivery.body)
    assert set(payload) == DELIVERED_KEYS | {"reason"}
    assert payload["reason"] == "unusual_amount"
    assert b"fraud" not in delivery.body
    assert b"Shop" not in delivery.body


# -- deliveries over HTTP -------------------------------------------------------------


async def _subscribe(client: httpx.AsyncClient, receiver: Receiver, *events: str) -> str:
    response = await partner_call(
        client, "POST", f"{NORD}/webhooks", {"url": receiver.url, "events": list(events)}
    )
    assert response.status_code == 201, response.text
    webhook_id: str = response.json()["webhookId"]
    return webhook_id


async def _block_card(client: httpx.AsyncClient, sandbox: LiveSandbox) -> None:
    consent_id = await add_consent(sandbox.world, "nordbank", {CARD_ACCOUNT})
    response = await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}/block",
        {"reason": "suspected_fraud"},
        consent_id=consent_id,
    )
    assert response.status_code == 200, response.text


async def test_card_block_is_delivered(
    client: httpx.AsyncClient, sandbox: LiveSandbox, receiver: Receiver
) -> None:
    await _subscribe(client, receiver, "card.blocked")
    await _block_card(client, sandbox)
    (delivery,) = await receiver.wait_for(lambda r: r.payload["type"] == "card.blocked")
    payload = delivery.payload
    assert set(payload) == {"id", "type", "created", "bankId", "accountId", "cardId", "reason"}
    assert (payload["bankId"], payload["accountId"], payload["cardId"], payload["reason"]) == (
        "nordbank",
        CARD_ACCOUNT,
        CARD,
        "suspected_fraud",
    )


async def test_delivery_is_signed_with_the_partner_secret(
    client: httpx.AsyncClient, sandbox: LiveSandbox, receiver: Receiver
) -> None:
    await _subscribe(client, receiver, "card.blocked")
    await _block_card(client, sandbox)
    (delivery,) = await receiver.wait_for(lambda r: True)
    hmac_signing.verify(
        PARTNER_SECRET, delivery.body, delivery.headers["x-bankchat-signature"], now=time.time()
    )
    assert delivery.headers["x-bankchat-event-id"] == delivery.payload["id"]


async def test_delivery_does_not_verify_with_another_secret(
    client: httpx.AsyncClient, sandbox: LiveSandbox, receiver: Receiver
) -> None:
    await _subscribe(client, receiver, "card.blocked")
    await _block_card(client, sandbox)
    (delivery,) = await receiver.wait_for(lambda r: True)
    with pytest.raises(hmac_signing.SignatureMismatch):
        hmac_signing.verify(
            "another-secret", delivery.body, delivery.headers["x-bankchat-signature"], time.time()
        )


async def test_large_card_payment_is_delivered_as_suspicious(
    client: httpx.AsyncClient, sandbox: LiveSandbox, receiver: Receiver
) -> None:
    world = sandbox.world
    await _subscribe(client, receiver, "transaction.suspicious")
    await on_sandbox_loop(world, lambda: add_habit(world))
    payment = await on_sandbox_loop(
        world,
        lambda: world.record(
            card_payment(world, "-950.00", fraud=FraudPattern.AMOUNT_OUTLIER), notify=True
        ),
    )
    (delivery,) = await receiver.wait_for(lambda r: True)
    assert delivery.payload["transactionId"] == payment.id
    assert delivery.payload["reason"] == "unusual_amount"
    assert b"fraud" not in delivery.body


async def test_replay_guard_refuses_a_delivery_received_twice(
    client: httpx.AsyncClient, sandbox: LiveSandbox, receiver: Receiver
) -> None:
    await _subscribe(client, receiver, "card.blocked")
    await _block_card(client, sandbox)
    (delivery,) = await receiver.wait_for(lambda r: True)
    guard = hmac_signing.ReplayGuard()
    timestamp, _ = hmac_signing.parse(delivery.headers["x-bankchat-signature"])

    def accept(received: Received) -> None:
        hmac_signing.verify(
            PARTNER_SECRET, received.body, received.headers["x-bankchat-signature"], time.time()
        )
        guard.check(received.headers["x-bankchat-event-id"], timestamp, time.time())

    accept(delivery)
    with pytest.raises(hmac_signing.ReplayedMessage):
        accept(delivery)


async def test_failed_delivery_is_retried_with_the_same_event(
    client: httpx.AsyncClient, sandbox: LiveSandbox, receiver: Receiver
) -> None:
    partner_of(sandbox.world).retry_base_delay = 0.01
    receiver.failures_left = 2
    await _subscribe(client, receiver, "card.blocked")
    await _block_card(client, sandbox)
    attempts = await receiver.wait_for(lambda r: True, count=3)
    assert len({a.headers["x-bankchat-event-id"] for a in attempts}) == 1
    assert len({a.body for a in attempts}) == 1


async def test_delivery_to_a_dead_receiver_gives_up_after_five_attempts(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    state = partner_of(sandbox.world)
    state.retry_base_delay = 0.01
    dead = Receiver(url=f"http://127.0.0.1:{free_port()}/hook")
    webhook_id = await _subscribe(client, dead, "card.blocked")
    await _block_card(client, sandbox)
    deadline = time.monotonic() + 10
    while not any(o.webhook_id == webhook_id for o in state.outcomes):
        assert time.monotonic() < deadline, "delivery never gave up"
        await asyncio.sleep(0.02)
    (outcome,) = [o for o in state.outcomes if o.webhook_id == webhook_id]
    assert (outcome.delivered, outcome.attempts) == (False, partner.MAX_ATTEMPTS)
