"""Test helpers for the partner extension: signed requests, consents, changes made on the
sandbox's own event loop, and a loopback receiver that records webhook deliveries."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bankchat import hmac_signing
from bankchat.sandbox.model import Consent, ConsentStatus, ScaStatus
from bankchat.sandbox.partner import partner_of
from bankchat.sandbox.world import World, new_id
from tests.conftest import PARTNER_SECRET, free_port

T = TypeVar("T")
DELIVERY_DEADLINE = 10.0  # seconds; a delivery later than this is a failure, not slowness


def request_target(path: str) -> str:
    """The path with query exactly as httpx sends it (what the bank verifies)."""
    return httpx.URL(path).raw_path.decode("ascii")


def signed_headers(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    secret: str = PARTNER_SECRET,
    timestamp: int | None = None,
    request_id: str | None = None,
) -> dict[str, str]:
    """Headers of a partner request ``method path`` with ``body``, signed as the bank expects."""
    stamp = int(time.time()) if timestamp is None else timestamp
    request_id = str(uuid.uuid4()) if request_id is None else request_id
    context = hmac_signing.request_context(method, request_target(path), request_id)
    headers = {
        "X-Request-ID": request_id,
        "X-Partner-Signature": hmac_signing.sign(secret, body, stamp, context),
    }
    if body:
        headers["Content-Type"] = "application/json"
    return headers


async def partner_call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    payload: object | None = None,
    *,
    consent_id: str | None = None,
    secret: str = PARTNER_SECRET,
) -> httpx.Response:
    """A correctly signed partner request (``path`` below ``/banks/<id>/partner/v1``)."""
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = signed_headers(method, path, body, secret=secret)
    if consent_id is not None:
        headers["Consent-ID"] = consent_id
    return await client.request(method, path, content=body, headers=headers)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["tppMessages"][0]["code"]
    return code


async def on_sandbox_loop(world: World, change: Callable[[], T]) -> T:
    """Run ``change`` on the serving sandbox's event loop, the only thread that may
    mutate the world, and return its result."""
    state = partner_of(world)
    deadline = time.monotonic() + 10
    while state.loop is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox's webhook loop did not start")
        await asyncio.sleep(0.01)

    async def run() -> T:
        return change()

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), state.loop))


def make_consent(
    world: World,
    bank_id: str,
    account_ids: set[str],
    *,
    status: ConsentStatus = ConsentStatus.VALID,
    valid_until: date = date(2027, 1, 1),
) -> Consent:
    """Put an approved consent straight into the world (as if the customer had approved)."""
    consent = Consent(
        id=new_id(),
        bank_id=bank_id,
        access={},
        recurring=True,
        valid_until=valid_until,
        frequency_per_day=4,
        combined=False,
        status=status,
        sca_status=ScaStatus.FINALISED,
        created_at=world.clock(),
        last_action_date=world.today(),
        redirect_uri=None,
        nok_redirect_uri=None,
        authorisation_id=new_id(),
        customer_id=None,
        account_ids=set(account_ids),
    )
    world.consents[consent.id] = consent
    return consent


async def add_consent(world: World, bank_id: str, account_ids: set[str], **kwargs: Any) -> str:
    consent = await on_sandbox_loop(
        world, lambda: make_consent(world, bank_id, account_ids, **kwargs)
    )
    return consent.id


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A partner's webhook endpoint on loopback that records what it receives."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    failures_left: int = 0

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(dict(request.headers), body))
        if self.failures_left > 0:
            self.failures_left -= 1
            return Response(status_code=503)
        return Response(status_code=204)

    async def wait_for(
        self, predicate: Callable[[Received], bool], *, count: int = 1
    ) -> list[Received]:
        """The first ``count`` deliveries matching ``predicate``; fails after a deadline."""
        deadline = time.monotonic() + DELIVERY_DEADLINE
        while True:
            matching = [r for r in self.received if predicate(r)]
            if len(matching) >= count:
                return matching[:count]
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} deliveries, got {self.received!r}")
            await asyncio.sleep(0.02)


def serve_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    port = free_port()
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)
