"""Bank webhooks: signed deliveries from the sandbox bank start a sync; forged, unsigned
and replayed deliveries change nothing."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bankchat import hmac_signing
from bankchat.app import create_app
from bankchat.banking import webhooks, worker
from bankchat.events import Event, SyncRequested
from bankchat.platform import Platform
from bankchat.sandbox.model import BookingStatus, Category, Transaction
from bankchat.sandbox.world import World, new_id
from tests.conftest import PARTNER_SECRET, free_port
from tests.platform_support import link, sign_up
from tests.sandbox.partner_client import on_sandbox_loop

CHECKING = "nordbank-c1-chk"


def _delivery(event: dict[str, Any], *, secret: str = PARTNER_SECRET) -> dict[str, Any]:
    body = json.dumps(event).encode()
    return {
        "content": body,
        "headers": {
            "Content-Type": "application/json",
            "X-Bankchat-Signature": hmac_signing.sign(secret, body, int(time.time())),
        },
    }


def _event(account_id: str = CHECKING, kind: str = "transaction.created") -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": kind, "bankId": "nordbank", "accountId": account_id}


@pytest.fixture
def requested(platform: Platform) -> list[str]:
    seen: list[str] = []

    async def record(event: Event) -> None:
        assert isinstance(event, SyncRequested)
        seen.append(event.connection_id)

    platform.bus.subscribe(SyncRequested.kind, record)
    return seen


async def test_signed_event_requests_a_sync_of_the_linked_connection(
    platform_app: FastAPI, platform: Platform, requested: list[str]
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank", accounts=[CHECKING])
    response = await person.api.post("/hooks/banks/nordbank", **_delivery(_event()))
    assert response.status_code == 202, response.text
    await platform.bus.drain()
    assert requested == [connection_id]


async def test_replayed_event_is_acknowledged_and_ignored(
    platform_app: FastAPI, platform: Platform, requested: list[str]
) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank", accounts=[CHECKING])
    event = _event()
    first = await person.api.post("/hooks/banks/nordbank", **_delivery(event))
    again = await person.api.post("/hooks/banks/nordbank", **_delivery(event))
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    await platform.bus.drain()
    assert len(requested) == 1


async def test_event_signed_with_another_secret_is_refused(
    platform_app: FastAPI, platform: Platform, requested: list[str]
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform_app), base_url="http://platform.test"
    ) as api:
        response = await api.post(
            "/hooks/banks/nordbank", **_delivery(_event(), secret="not-the-secret")
        )
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"
    await platform.bus.drain()
    assert requested == []


async def test_unsigned_event_is_refused(platform_app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform_app), base_url="http://platform.test"
    ) as api:
        response = await api.post("/hooks/banks/nordbank", json=_event())
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_MISSING"


async def test_event_for_an_unknown_bank_is_not_found(platform_app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform_app), base_url="http://platform.test"
    ) as api:
        response = await api.post("/hooks/banks/nobank", **_delivery(_event()))
    assert response.status_code == 404


async def test_signed_body_that_is_not_an_event_is_a_bad_request(platform_app: FastAPI) -> None:
    body = b"[1, 2, 3]"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform_app), base_url="http://platform.test"
    ) as api:
        response = await api.post(
            "/hooks/banks/nordbank",
            content=body,
            headers={
                "X-Bankchat-Signature": hmac_signing.sign(PARTNER_SECRET, body, int(time.time()))
            },
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture
async def served(platform: Platform) -> AsyncIterator[str]:
    """The platform on a real loopback port in this event loop, as the bank's webhooks
    need; its public URL is that port."""
    port = free_port()
    platform.settings = platform.settings.model_copy(
        update={"public_url": f"http://127.0.0.1:{port}"}
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(platform, background=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    unsubscribe = worker.subscribe_sync(platform)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        unsubscribe()
        server.should_exit = True
        await task


async def test_new_transaction_at_the_bank_arrives_through_its_webhook(
    served: str, platform: Platform, platform_app: FastAPI, world: World
) -> None:
    registered = await webhooks.register_webhooks(platform)
    assert set(registered) == set(world.banks)
    person = await sign_up(platform_app)
    await link(person, "nordbank", accounts=[CHECKING])
    before = len((await person.api.get("/api/v1/transactions")).json())
    today = world.today()
    payment = Transaction(
        id=new_id(),
        account_id=CHECKING,
        entry_reference=new_id(),
        amount=Decimal("-7.30"),
        currency="EUR",
        status=BookingStatus.BOOKED,
        value_date=today,
        booking_date=today,
        category=Category.RESTAURANTS,
        counterparty_name="Café Uhland",
    )
    await on_sandbox_loop(world, lambda: world.record(payment))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        await platform.bus.drain()
        if len((await person.api.get("/api/v1/transactions")).json()) > before:
            break
        await asyncio.sleep(0.05)
    assert len((await person.api.get("/api/v1/transactions")).json()) == before + 1
