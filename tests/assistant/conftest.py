"""Fixtures for the assistant: a sandbox world with a month of varied spending, the trained
NLU (``trained_nlu``, in tests/conftest.py), a scripted stand-in for tests about the dialogue's
mechanics, and ``Chat``, which writes as a person and collects the assistant's answers."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bankchat.assistant import service
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.result import Entities, Parse
from bankchat.assistant.service import Incoming, Understands
from bankchat.language import Language
from bankchat.messaging import service as messaging
from bankchat.messaging.schemas import ASSISTANT_ID
from bankchat.platform import Platform
from bankchat.sandbox.model import BookingStatus, Category, Transaction
from bankchat.sandbox.world import World
from tests.messaging.conftest import gateway_options, served  # noqa: F401 (fixtures)
from tests.sandbox.worlds import small_world

# What the small world's first Nordbank customer did besides its standard entries:
# (account suffix, id suffix, amount, day, merchant or counterparty, mcc, bank code, text)
EXTRA_ENTRIES = (
    ("chk", "rent-oct", "-950.00", date(2026, 10, 1), "Hausverwaltung Krämer GmbH", None,
     "PMNT-ICDT-STDO", "Miete Oktober"),
    ("card", "rewe-oct", "-54.20", date(2026, 10, 3), "REWE", "5411", None, None),
    ("card", "amzn-oct", "-129.99", date(2026, 10, 10), "Amazon", "5999", None, None),
    ("card", "trat-oct", "-38.50", date(2026, 10, 15), "Trattoria Da Luca", "5812", None, None),
    ("chk", "atm-oct", "-100.00", date(2026, 10, 20), "Geldautomat Hauptbahnhof", None,
     "PMNT-CCRD-CWDL", None),
    ("chk", "amzn-oct2", "-23.45", date(2026, 10, 28), "AMAZON EU", None, "PMNT-CCRD-POSD",
     "Bestellung 302-118"),
    ("card", "amzn-nov", "-15.00", date(2026, 11, 5), "Amazon", "5999", None, None),
    ("chk", "rewe-nov", "-30.00", date(2026, 11, 12), "REWE", None, "PMNT-CCRD-POSD", None),
)  # fmt: skip


def spending_world() -> World:
    world = small_world()
    for suffix, tx_suffix, amount, day, name, mcc, code, text in EXTRA_ENTRIES:
        account_id = f"nordbank-c1-{suffix}"
        world.record(
            Transaction(
                id=f"{account_id}-{tx_suffix}",
                account_id=account_id,
                entry_reference=f"ref-{account_id}-{tx_suffix}",
                amount=Decimal(amount),
                currency="EUR",
                status=BookingStatus.BOOKED,
                value_date=day,
                booking_date=day,
                transaction_date=day,
                category=Category.OTHER,
                counterparty_name=name,
                merchant=name,
                remittance=text,
                mcc=mcc,
                bank_transaction_code=code,
            ),
            notify=False,
        )
    return world


@pytest.fixture
def world() -> World:
    return spending_world()


@dataclass
class ScriptedNlu:
    """Understands exactly the utterances it was given; anything else is out of scope."""

    script: dict[str, Parse] = field(default_factory=dict)

    def add(
        self,
        text: str,
        intent: Intent,
        language: Language = "en",
        confidence: float = 0.95,
        **entities: Any,
    ) -> None:
        """``entities`` in the contract's JSON form (``amount="12.50"``)."""
        self.script[text] = Parse(text, language, intent, confidence, Entities.from_json(entities))

    def parse(
        self,
        text: str,
        *,
        today: Any,
        default_language: Language = "en",
        banks: Any = (),
    ) -> Parse:
        return self.script.get(text) or Parse(text, default_language, Intent.OUT_OF_SCOPE, 0.2)


@dataclass
class Answer:
    """One message the assistant posted."""

    kind: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    @property
    def card(self) -> dict[str, Any]:
        card: dict[str, Any] = self.body["card"]
        return card

    @property
    def buttons(self) -> dict[str, str]:
        return {r["label"]: r["payload"] for r in self.body.get("replies", [])}


@dataclass
class Answers:
    """The assistant's answer to one message."""

    messages: list[Answer]

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages if m.kind in ("text", "quick_replies")]

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [m.card for m in self.messages if m.kind == "card"]

    @property
    def buttons(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for message in self.messages:
            found.update(message.buttons)
        return found

    def payload_starting(self, prefix: str) -> str:
        [payload] = [p for p in self.buttons.values() if p.startswith(prefix)]
        return payload


_client_ids = itertools.count(1)


@dataclass
class Chat:
    """A person writing in their assistant conversation; the service answers each message
    directly (no bus), so a test sees exactly the answer to what it wrote."""

    platform: Platform
    person_id: str
    conversation_id: str
    nlu: Understands

    async def post(self, kind: str, body: Mapping[str, Any]) -> Incoming:
        sent = await messaging.send_and_commit(
            self.platform.sessions,
            conversation_id=self.conversation_id,
            sender_id=self.person_id,
            client_id=f"test-{next(_client_ids)}",
            kind=kind,
            body=body,
            now=self.platform.clock(),
        )
        [event] = [e for e in messaging.delivery_events(sent) if e.recipient_id == ASSISTANT_ID]
        incoming = service.incoming_of(event)
        assert incoming is not None
        return incoming

    async def deliver(self, incoming: Incoming) -> Answers:
        await service.answer(self.platform, self.nlu, incoming)
        return await self.answers_to(incoming)

    async def say(self, text: str) -> Answers:
        return await self.deliver(await self.post("text", {"text": text}))

    async def tap(self, payload: str, label: str = "button") -> Answers:
        tapped = await self.post("quick_reply", {"text": label, "payload": payload})
        return await self.deliver(tapped)

    async def answers_to(self, incoming: Incoming) -> Answers:
        async with self.platform.sessions() as session:
            after = await messaging.after(session, self.conversation_id, incoming.seq, 100)
        replies = list(itertools.takewhile(lambda m: m.sender_id == ASSISTANT_ID, after))
        return Answers([Answer(m.kind, dict(m.body)) for m in replies])


async def open_chat(platform: Platform, person_id: str, nlu: Understands) -> Chat:
    async with platform.unit_of_work() as tx:
        conversation = await messaging.ensure_assistant_conversation(
            tx, person_id, now=platform.clock()
        )
    return Chat(platform, person_id, conversation.id, nlu)


@pytest.fixture
def scripted() -> ScriptedNlu:
    return ScriptedNlu()
