"""The partner extension over real HTTP: signed requests, webhook registry, card block."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date, timedelta

import httpx
import pytest

from bankchat.sandbox.model import Card, ConsentStatus
from bankchat.sandbox.partner import card_is_usable, partner_of
from bankchat.sandbox.world import World
from tests.conftest import LiveSandbox
from tests.sandbox.partner_client import (
    add_consent,
    error_code,
    on_sandbox_loop,
    partner_call,
    signed_headers,
)

NORD = "/banks/nordbank/partner/v1"
CARD_ACCOUNT = "nordbank-c1-card"
CARD = "nordbank-c1-cardid"
CHECKING = "nordbank-c1-chk"
HOOK_URL = "http://127.0.0.1:9/hook"


async def _card_consent(sandbox: LiveSandbox, **kwargs: object) -> str:
    return await add_consent(sandbox.world, "nordbank", {CARD_ACCOUNT, CHECKING}, **kwargs)


# -- authentication -------------------------------------------------------------------


async def test_request_without_signature_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{NORD}/webhooks", headers={"X-Request-ID": "x"})
    assert response.status_code == 401
    assert error_code(response) == "SIGNATURE_MISSING"


async def test_request_signed_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    response = await partner_call(client, "GET", f"{NORD}/webhooks", secret="not-the-secret")
    assert response.status_code == 401
    assert error_code(response) == "SIGNATURE_INVALID"


async def test_request_with_tampered_body_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    signed = json.dumps({"url": HOOK_URL, "events": ["card.blocked"]}).encode()
    tampered = signed.replace(b"card.blocked", b"card.unblocked")
    headers = signed_headers("POST", f"{NORD}/webhooks", signed)
    response = await client.post(f"{NORD}/webhooks", content=tampered, headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "SIGNATURE_INVALID"
    assert partner_of(sandbox.world).webhooks == {}


async def test_request_with_stale_signature_is_refused(client: httpx.AsyncClient) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks", timestamp=int(time.time()) - 3600)
    response = await client.get(f"{NORD}/webhooks", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "SIGNATURE_INVALID"


async def test_request_with_malformed_signature_is_refused(client: httpx.AsyncClient) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks") | {"X-Partner-Signature": "v1=abc"}
    response = await client.get(f"{NORD}/webhooks", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "SIGNATURE_INVALID"


async def test_identical_requests_in_the_same_second_both_succeed(
    client: httpx.AsyncClient,
) -> None:
    second = int(time.time())
    first = signed_headers("GET", f"{NORD}/webhooks", timestamp=second)
    again = signed_headers("GET", f"{NORD}/webhooks", timestamp=second)
    assert first["X-Request-ID"] != again["X-Request-ID"]
    assert (await client.get(f"{NORD}/webhooks", headers=first)).status_code == 200
    assert (await client.get(f"{NORD}/webhooks", headers=again)).status_code == 200


async def test_replayed_request_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    body = json.dumps({"url": HOOK_URL, "events": ["card.blocked"]}).encode()
    headers = signed_headers("POST", f"{NORD}/webhooks", body)
    first = await client.post(f"{NORD}/webhooks", content=body, headers=headers)
    replayed = await client.post(f"{NORD}/webhooks", content=body, headers=headers)
    assert first.status_code == 201
    assert replayed.status_code == 401
    assert "replay" in replayed.json()["tppMessages"][0]["text"]
    assert len(partner_of(sandbox.world).webhooks) == 1


async def test_request_id_used_before_is_refused_even_when_signed_afresh(
    client: httpx.AsyncClient,
) -> None:
    first = signed_headers("GET", f"{NORD}/webhooks")
    request_id = first["X-Request-ID"]
    again = signed_headers("GET", f"{NORD}/webhooks?again=1", request_id=request_id)
    assert (await client.get(f"{NORD}/webhooks", headers=first)).status_code == 200
    response = await client.get(f"{NORD}/webhooks?again=1", headers=again)
    assert response.status_code == 401
    assert "replay" in response.json()["tppMessages"][0]["text"]


# Each of these sends the borrowed signature first, so a refusal is the signature's
# binding, not a replay; the signature's own request then still succeeds.


async def test_signature_for_one_path_does_not_verify_for_another(
    client: httpx.AsyncClient,
) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks")
    other = await client.get("/banks/suedbank/partner/v1/webhooks", headers=headers)
    assert other.status_code == 401
    assert error_code(other) == "SIGNATURE_INVALID"
    assert "replay" not in other.json()["tppMessages"][0]["text"]
    assert (await client.get(f"{NORD}/webhooks", headers=headers)).status_code == 200


async def test_signature_for_one_query_does_not_verify_for_another(
    client: httpx.AsyncClient,
) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks?page=1")
    other = await client.get(f"{NORD}/webhooks?page=2", headers=headers)
    assert other.status_code == 401
    assert "replay" not in other.json()["tppMessages"][0]["text"]
    assert (await client.get(f"{NORD}/webhooks?page=1", headers=headers)).status_code == 200


async def test_signature_for_one_method_does_not_verify_for_another(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks")
    other = await client.post(f"{NORD}/webhooks", headers=headers)
    assert other.status_code == 401
    assert "replay" not in other.json()["tppMessages"][0]["text"]
    assert partner_of(sandbox.world).webhooks == {}
    assert (await client.get(f"{NORD}/webhooks", headers=headers)).status_code == 200


async def test_signature_for_one_request_id_does_not_verify_for_another(
    client: httpx.AsyncClient,
) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks")
    other = headers | {"X-Request-ID": str(uuid.uuid4())}
    response = await client.get(f"{NORD}/webhooks", headers=other)
    assert response.status_code == 401
    assert "replay" not in response.json()["tppMessages"][0]["text"]
    assert (await client.get(f"{NORD}/webhooks", headers=headers)).status_code == 200


async def test_signed_request_without_request_id_is_refused(client: httpx.AsyncClient) -> None:
    headers = signed_headers("GET", f"{NORD}/webhooks", request_id="")
    del headers["X-Request-ID"]
    response = await client.get(f"{NORD}/webhooks", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


async def test_unknown_bank_is_404(client: httpx.AsyncClient) -> None:
    response = await partner_call(client, "GET", "/banks/nobank/partner/v1/webhooks")
    assert response.status_code == 404
    assert error_code(response) == "RESOURCE_UNKNOWN"


# -- webhooks -------------------------------------------------------------------------


async def test_registered_webhook_is_listed(client: httpx.AsyncClient) -> None:
    created = await partner_call(
        client,
        "POST",
        f"{NORD}/webhooks",
        {"url": HOOK_URL, "events": ["transaction.suspicious", "card.blocked"]},
    )
    listed = await partner_call(client, "GET", f"{NORD}/webhooks")
    assert created.status_code == 201
    webhook = created.json()
    assert webhook["url"] == HOOK_URL
    assert webhook["events"] == ["card.blocked", "transaction.suspicious"]
    assert listed.json()["webhooks"] == [webhook]


async def test_webhooks_belong_to_their_bank(client: httpx.AsyncClient) -> None:
    await partner_call(
        client, "POST", f"{NORD}/webhooks", {"url": HOOK_URL, "events": ["card.blocked"]}
    )
    listed = await partner_call(client, "GET", "/banks/suedbank/partner/v1/webhooks")
    assert listed.json() == {"webhooks": []}


async def test_deleted_webhook_is_gone(client: httpx.AsyncClient) -> None:
    created = await partner_call(
        client, "POST", f"{NORD}/webhooks", {"url": HOOK_URL, "events": ["card.blocked"]}
    )
    webhook_id = created.json()["webhookId"]
    deleted = await partner_call(client, "DELETE", f"{NORD}/webhooks/{webhook_id}")
    listed = await partner_call(client, "GET", f"{NORD}/webhooks")
    assert deleted.status_code == 204
    assert listed.json() == {"webhooks": []}


async def test_deleting_an_unknown_webhook_is_404(client: httpx.AsyncClient) -> None:
    response = await partner_call(client, "DELETE", f"{NORD}/webhooks/no-such-hook")
    assert response.status_code == 404
    assert error_code(response) == "RESOURCE_UNKNOWN"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://10.0.0.1/hook",
        "http://127.0.0.2/hook",
        "http://localhost.example.com/hook",
        "http://[::2]/hook",
        "http://0.0.0.0:8080/hook",
    ],
)
async def test_webhook_to_a_non_loopback_host_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox, url: str
) -> None:
    response = await partner_call(
        client, "POST", f"{NORD}/webhooks", {"url": url, "events": ["card.blocked"]}
    )
    assert response.status_code == 400
    assert error_code(response) == "URL_NOT_ALLOWED"
    assert partner_of(sandbox.world).webhooks == {}


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "127.0.0.1/hook", "http://", "::"])
async def test_webhook_url_that_is_not_http_is_refused(client: httpx.AsyncClient, url: str) -> None:
    response = await partner_call(
        client, "POST", f"{NORD}/webhooks", {"url": url, "events": ["card.blocked"]}
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/hook", "https://[::1]/hook", "http://127.0.0.1/x"]
)
async def test_webhook_to_a_loopback_host_is_accepted(client: httpx.AsyncClient, url: str) -> None:
    response = await partner_call(
        client, "POST", f"{NORD}/webhooks", {"url": url, "events": ["card.blocked"]}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "payload",
    [
        {"url": HOOK_URL, "events": ["payment.created"]},
        {"url": HOOK_URL, "events": []},
        {"url": HOOK_URL},
        {"events": ["card.blocked"]},
        {"url": HOOK_URL, "events": ["card.blocked"], "secret": "mine"},
    ],
)
async def test_invalid_webhook_request_is_a_format_error(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    response = await partner_call(client, "POST", f"{NORD}/webhooks", payload)
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


async def test_registering_the_same_url_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    payload = {"url": HOOK_URL, "events": ["card.blocked"]}
    await partner_call(client, "POST", f"{NORD}/webhooks", payload)
    again = await partner_call(client, "POST", f"{NORD}/webhooks", payload)
    assert again.status_code == 409
    assert error_code(again) == "WEBHOOK_EXISTS"


# -- cards ----------------------------------------------------------------------------


async def test_cards_are_listed_with_masked_pan_only(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    response = await partner_call(
        client, "GET", f"{NORD}/accounts/{CARD_ACCOUNT}/cards", consent_id=consent_id
    )
    assert response.status_code == 200
    assert response.json() == {
        "cards": [
            {
                "cardId": CARD,
                "accountId": CARD_ACCOUNT,
                "maskedPan": "4111********1111",
                "expiry": "2029-12",
                "blocked": False,
                "blockedAt": None,
                "blockReason": None,
            }
        ]
    }
    assert "4111111111111111" not in response.text


async def test_card_is_blocked_with_a_valid_consent(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    response = await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}/block",
        {"reason": "suspected_fraud"},
        consent_id=consent_id,
    )
    assert response.status_code == 200
    assert response.json()["blocked"] is True
    assert response.json()["blockReason"] == "suspected_fraud"
    card = sandbox.world.cards[CARD]
    assert (card.blocked, card.block_reason) == (True, "suspected_fraud")
    assert card.blocked_at == sandbox.world.clock()


async def test_blocked_card_is_no_longer_usable(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}/block",
        {"reason": "customer_request"},
        consent_id=consent_id,
    )
    assert not card_is_usable(sandbox.world, CARD)


async def test_blocked_card_is_unblocked(client: httpx.AsyncClient, sandbox: LiveSandbox) -> None:
    consent_id = await _card_consent(sandbox)
    path = f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}"
    await partner_call(
        client, "POST", f"{path}/block", {"reason": "suspected_fraud"}, consent_id=consent_id
    )
    response = await partner_call(client, "POST", f"{path}/unblock", consent_id=consent_id)
    assert response.status_code == 200
    assert response.json()["blocked"] is False
    assert card_is_usable(sandbox.world, CARD)


async def test_card_reported_stolen_cannot_be_unblocked(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    path = f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}"
    await partner_call(client, "POST", f"{path}/block", {"reason": "stolen"}, consent_id=consent_id)
    response = await partner_call(client, "POST", f"{path}/unblock", consent_id=consent_id)
    assert response.status_code == 409
    assert error_code(response) == "STATUS_INVALID"
    assert sandbox.world.cards[CARD].blocked


async def test_blocking_a_blocked_card_keeps_the_first_block(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    path = f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}/block"
    await partner_call(client, "POST", path, {"reason": "lost"}, consent_id=consent_id)
    again = await partner_call(
        client, "POST", path, {"reason": "customer_request"}, consent_id=consent_id
    )
    assert again.status_code == 200
    assert again.json()["blockReason"] == "lost"


async def test_debit_card_of_a_checking_account_is_blocked(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    world = sandbox.world
    debit = Card("debit-1", CHECKING, "5500000000000004", "5500********0004", date(2030, 1, 31))
    await on_sandbox_loop(world, lambda: world.add_card(debit))
    consent_id = await _card_consent(sandbox)
    response = await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CHECKING}/cards/debit-1/block",
        {"reason": "lost"},
        consent_id=consent_id,
    )
    assert response.status_code == 200
    assert world.cards["debit-1"].blocked


@pytest.mark.parametrize("reason", ["broken", "", None])
async def test_block_with_an_unknown_reason_is_a_format_error(
    client: httpx.AsyncClient, sandbox: LiveSandbox, reason: str | None
) -> None:
    consent_id = await _card_consent(sandbox)
    response = await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}/block",
        {"reason": reason},
        consent_id=consent_id,
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert not sandbox.world.cards[CARD].blocked


async def _block(client: httpx.AsyncClient, consent_id: str | None) -> httpx.Response:
    return await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CARD_ACCOUNT}/cards/{CARD}/block",
        {"reason": "suspected_fraud"},
        consent_id=consent_id,
    )


async def test_block_without_consent_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    response = await _block(client, None)
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert not sandbox.world.cards[CARD].blocked


async def test_block_with_an_unknown_consent_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    response = await _block(client, "no-such-consent")
    assert response.status_code == 403
    assert error_code(response) == "CONSENT_UNKNOWN"
    assert not sandbox.world.cards[CARD].blocked


async def test_block_with_another_banks_consent_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await add_consent(sandbox.world, "suedbank", {CARD_ACCOUNT})
    response = await _block(client, consent_id)
    assert response.status_code == 403
    assert error_code(response) == "CONSENT_UNKNOWN"


async def test_block_with_a_consent_for_other_accounts_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await add_consent(sandbox.world, "nordbank", {CHECKING})
    response = await _block(client, consent_id)
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"
    assert not sandbox.world.cards[CARD].blocked


@pytest.mark.parametrize(
    "status", [ConsentStatus.RECEIVED, ConsentStatus.REVOKED_BY_PSU, ConsentStatus.REJECTED]
)
async def test_block_with_a_consent_that_is_not_valid_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox, status: ConsentStatus
) -> None:
    consent_id = await _card_consent(sandbox, status=status)
    response = await _block(client, consent_id)
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"
    assert not sandbox.world.cards[CARD].blocked


async def test_block_with_an_expired_consent_is_refused(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox, valid_until=sandbox.world.today() - timedelta(days=1))
    response = await _block(client, consent_id)
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_EXPIRED"


async def test_block_on_an_unknown_account_is_404(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    response = await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/no-such-account/cards/{CARD}/block",
        {"reason": "lost"},
        consent_id=consent_id,
    )
    assert response.status_code == 404
    assert error_code(response) == "RESOURCE_UNKNOWN"


async def test_block_of_a_card_on_another_account_is_404(
    client: httpx.AsyncClient, sandbox: LiveSandbox
) -> None:
    consent_id = await _card_consent(sandbox)
    response = await partner_call(
        client,
        "POST",
        f"{NORD}/accounts/{CHECKING}/cards/{CARD}/block",
        {"reason": "lost"},
        consent_id=consent_id,
    )
    assert response.status_code == 404
    assert not sandbox.world.cards[CARD].blocked


# -- card_is_usable (the live feed's check) --------------------------------------------


def test_unblocked_card_is_usable(world: World) -> None:
    assert card_is_usable(world, CARD)


def test_unknown_card_is_not_usable(world: World) -> None:
    assert not card_is_usable(world, "no-such-card")


def test_expired_card_is_not_usable(world: World) -> None:
    world.cards[CARD].expiry = world.today() - timedelta(days=1)
    assert not card_is_usable(world, CARD)
