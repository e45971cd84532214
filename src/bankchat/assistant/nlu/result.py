"""What parsing one utterance yields, and its JSON form (the ``bankchat nlu parse`` line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bankchat.assistant.nlu.intents import Intent
from bankchat.language import Language


@dataclass(frozen=True, slots=True)
class Parse:
    """One understood utterance.

    ``entities`` holds only what the utterance names, in the contract's JSON form:
    ``amount`` "12.50", ``currency`` "EUR", ``recipient``, ``period``
    {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}, ``merchant``, ``category``,
    ``account_type``, ``bank``.
    """

    text: str
    language: Language
    intent: Intent
    confidence: float
    entities: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "intent": self.intent.value,
            "confidence": round(self.confidence, 4),
            "entities": dict(self.entities),
        }
