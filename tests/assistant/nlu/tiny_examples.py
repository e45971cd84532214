"""A small set of example files for tests that need a model quickly: five intents, six
training and two held-out utterances each per language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TRAIN: dict[str, dict[str, list[str]]] = {
    "de": {
        "greet": [
            "hallo",
            "guten morgen",
            "servus zusammen",
            "moin wie gehts",
            "hallo ihr lieben",
            "guten abend bankchat",
        ],
        "check_balance": [
            "wie ist mein kontostand",
            "kontostand bitte",
            "wieviel geld hab ich auf dem konto",
            "zeig mir mein guthaben",
            "was ist auf meinem girokonto",
            "wie viel ist noch auf dem sparkonto",
        ],
        "send_money": [
            "überweise 20 euro an anna",
            "schick max 15 €",
            "ich möchte geld an paul senden",
            "zahl lisa 12,50 für die pizza",
            "bitte 100 euro an mama überweisen",
            "sende jonas fünf euro",
        ],
        "lock_card": [
            "sperr meine karte",
            "karte sperren bitte",
            "meine kreditkarte ist weg, sperren",
            "ich habe meine karte verloren",
            "bitte die bankkarte blockieren",
            "die karte wurde gestohlen",
        ],
        "out_of_scope": [
            "wie wird das wetter",
            "erzähl einen witz",
            "wer wird weltmeister",
            "was kochst du heute",
            "singe ein lied",
            "wie hoch ist der berg",
        ],
    },
    "en": {
        "greet": [
            "hello",
            "good morning",
            "hi there everyone",
            "hey how are you",
            "hello my friend",
            "good evening bankchat",
        ],
        "check_balance": [
            "what is my balance",
            "balance please",
            "how much money do i have in my account",
            "show me my funds",
            "what is in my checking account",
            "how much is left in savings",
        ],
        "send_money": [
            "send 20 euros to anna",
            "pay max 15 dollars",
            "i want to transfer money to paul",
            "give lisa 12.50 for the pizza",
            "please send 100 to mom",
            "wire jonas five bucks",
        ],
        "lock_card": [
            "lock my card",
            "block the card please",
            "my credit card is gone, lock it",
            "i lost my card",
            "please freeze my debit card",
            "the card was stolen",
        ],
        "out_of_scope": [
            "what is the weather",
            "tell me a joke",
            "who will win the cup",
            "what are you cooking today",
            "sing a song",
            "how tall is the mountain",
        ],
    },
}

HELDOUT: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "de": [
        ("hallo zusammen", "greet", {}),
        ("was hab ich auf dem konto", "check_balance", {}),
        (
            "überweis anna 30 euro",
            "send_money",
            {"amount": "30.00", "currency": "EUR", "recipient": "anna"},
        ),
        ("bitte karte sperren", "lock_card", {}),
        ("wie ist das wetter morgen", "out_of_scope", {}),
    ],
    "en": [
        ("hello everyone", "greet", {}),
        ("how much do i have", "check_balance", {}),
        (
            "send anna 30 euros",
            "send_money",
            {"amount": "30.00", "currency": "EUR", "recipient": "anna"},
        ),
        ("lock the card please", "lock_card", {}),
        ("tell me about the weather", "out_of_scope", {}),
    ],
}


def train_lines(language: str) -> list[str]:
    return [
        json.dumps({"text": text, "intent": intent}, ensure_ascii=False)
        for intent, texts in TRAIN[language].items()
        for text in texts
    ]


def heldout_lines(language: str) -> list[str]:
    return [
        json.dumps({"text": text, "intent": intent, "entities": entities}, ensure_ascii=False)
        for text, intent, entities in HELDOUT[language]
    ]


def write_tiny_examples(directory: Path, *, heldout: bool = True) -> Path:
    """Write the example files into ``directory`` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for language in ("de", "en"):
        (directory / f"train.{language}.jsonl").write_text(
            "\n".join(train_lines(language)) + "\n", encoding="utf-8"
        )
        if heldout:
            (directory / f"heldout.{language}.jsonl").write_text(
                "\n".join(heldout_lines(language)) + "\n", encoding="utf-8"
            )
    return directory
