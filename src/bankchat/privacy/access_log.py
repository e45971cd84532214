"""The audit chain in plain words, German and English: who read what, for which purpose,
and what was refused. Renders ids and codes from the chain; no bank data is in it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from babel.dates import format_date, format_datetime

from bankchat.language import Language
from bankchat.vault.denials import DenialReason
from bankchat.vault.records import AuditEntryView

_RESOURCES: dict[str, dict[Language, str]] = {
    "accounts": {"en": "your account details", "de": "deine Kontodaten"},
    "balances": {"en": "your balances", "de": "deine Kontostände"},
    "accounts_with_balances": {
        "en": "your account details and balances",
        "de": "deine Kontodaten und Kontostände",
    },
    "transactions": {"en": "your transactions", "de": "deine Umsätze"},
}
_PURPOSES: dict[str, dict[Language, str]] = {
    "user_request": {"en": "to answer your request", "de": "um deine Anfrage zu beantworten"},
    "fraud_protection": {
        "en": "to protect you from fraud",
        "de": "um dich vor Betrug zu schützen",
    },
    "customer_support": {
        "en": "for your bank's customer service",
        "de": "für den Kundenservice deiner Bank",
    },
    "payment": {"en": "to carry out a payment", "de": "um eine Zahlung auszuführen"},
}
_SCOPES: dict[str, dict[Language, str]] = {
    "balances": {"en": "balances", "de": "Kontostände"},
    "transactions": {"en": "transactions", "de": "Umsätze"},
}
_TEXTS: dict[str, dict[Language, str]] = {
    "read": {
        "en": "{actor} read {resource} at {banks} {purpose}.",
        "de": "{actor} {hat} {resource} bei {banks} gelesen, {purpose}.",
    },
    # A read when nothing was shared (no linked account): it found nothing, and says so.
    "read_nothing": {
        "en": "{actor} asked for {resource} {purpose}; nothing was shared, so nothing was read.",
        "de": "{actor} {wollte} {resource} lesen, {purpose}; es war nichts freigegeben, "
        "also wurde nichts gelesen.",
    },
    "read_denied": {
        "en": "{actor} asked for {resource} {purpose}; this was refused ({reason}).",
        "de": "{actor} {wollte} {resource} lesen, {purpose}; das wurde abgelehnt ({reason}).",
    },
    "link": {
        "en": "You connected {bank} and shared {scopes} until {until}.",
        "de": "Du hast {bank} verbunden und {scopes} bis {until} freigegeben.",
    },
    "sync": {
        "en": "{actor} fetched news from {bank}: {added} new, {modified} changed, "
        "{removed} removed transactions.",
        "de": "{actor} {hat} Neues von {bank} abgerufen: {added} neue, {modified} geänderte, "
        "{removed} entfernte Umsätze.",
    },
    "revoke": {
        "en": "Access to {count} account(s) ended ({reason}); their data was deleted.",
        "de": "Der Zugriff auf {count} Konto/Konten wurde beendet ({reason}); "
        "die Daten wurden gelöscht.",
    },
    "export": {
        "en": "{actor} downloaded all your data.",
        "de": "{actor} {hat} alle deine Daten heruntergeladen.",
    },
    "erase": {"en": "All your data was erased.", "de": "Alle deine Daten wurden gelöscht."},
    "annotate": {
        "en": "{actor} changed a note on a transaction.",
        "de": "{actor} {hat} eine Notiz zu einem Umsatz geändert.",
    },
    "other": {"en": "{actor}: {action}.", "de": "{actor}: {action}."},
}
# Why the vault refused a read.
DENIAL_WORDS: dict[DenialReason, dict[Language, str]] = {
    DenialReason.NO_GRANT: {"en": "nothing shared for it", "de": "dafür ist nichts freigegeben"},
    DenialReason.REVOKED: {"en": "the connection has ended", "de": "die Verbindung ist beendet"},
    DenialReason.EXPIRED: {
        "en": "the consent has expired",
        "de": "die Einwilligung ist abgelaufen",
    },
    DenialReason.SCOPE_NOT_GRANTED: {"en": "not shared", "de": "nicht freigegeben"},
    DenialReason.PURPOSE_NOT_GRANTED: {
        "en": "not allowed for this purpose",
        "de": "für diesen Zweck nicht erlaubt",
    },
    DenialReason.NO_GRANT_ALLOWS_READ: {"en": "not shared", "de": "nicht freigegeben"},
}
# Why a connection ended (banking's ``RevokedBy`` values).
_ENDINGS: dict[str, dict[Language, str]] = {
    "person": {"en": "you ended it", "de": "du hast sie beendet"},
    "bank": {"en": "your bank ended it", "de": "deine Bank hat sie beendet"},
    "expiry": {"en": "it expired", "de": "sie ist abgelaufen"},
}
_ACTORS: dict[str, dict[Language, str]] = {
    "person": {"en": "You", "de": "Du"},
    "assistant": {"en": "The assistant", "de": "Der Assistent"},
    "system:sync": {"en": "The automatic sync", "de": "Der automatische Abgleich"},
    "system": {"en": "bankchat", "de": "bankchat"},
    "agent": {"en": "Your bank's customer service", "de": "Der Kundenservice deiner Bank"},
}


def _actor(actor: str, language: Language) -> str:
    if actor in _ACTORS:
        return _ACTORS[actor][language]
    kind = actor.split(":", 1)[0]
    return _ACTORS.get(kind, _ACTORS["system"])[language]


def _join(items: list[str], language: Language) -> str:
    if len(items) <= 1:
        return "".join(items)
    word = " and " if language == "en" else " und "
    return ", ".join(items[:-1]) + word + items[-1]


def describe(entry: AuditEntryView, language: Language, bank_name: Callable[[str], str]) -> str:
    """One sentence for the person saying what this entry records."""
    what: Mapping[str, Any] = entry.what
    banks = [bank_name(b) for b in _as_list(what.get("banks") or what.get("bank"))]
    resource = _RESOURCES.get(str(what.get("resource")), {"en": "data", "de": "Daten"})[language]
    purpose = _PURPOSES.get(entry.purpose.value if entry.purpose else "", {}).get(language, "")
    scopes = [_SCOPES.get(s, {}).get(language, s) for s in _as_list(what.get("scopes"))]
    until = what.get("validUntil")
    by_person = entry.actor.startswith("person:")
    bank_names = _join(banks, language) or "?"
    values = {
        "actor": _actor(entry.actor, language),
        # German conjugates for "du"; English needs no such care.
        "hat": "hast" if by_person else "hat",
        "wollte": "wolltest" if by_person else "wollte",
        "resource": resource,
        "purpose": purpose,
        "banks": bank_names,
        "bank": bank_names,
        "reason": _reason(what, language),
        "scopes": _join(scopes, language),
        "until": format_date(_parse_date(until), format="long", locale=language) if until else "?",
        "added": what.get("added", 0),
        "modified": what.get("modified", 0),
        "removed": what.get("removed", 0),
        "count": len(_as_list(what.get("accounts"))),
        "action": entry.action,
    }
    action = "read_nothing" if entry.action == "read" and not banks else entry.action
    template = _TEXTS.get(action, _TEXTS["other"])[language]
    return template.format(**values)


def when(entry: AuditEntryView, language: Language) -> str:
    return format_datetime(entry.at, format="medium", locale=language, tzinfo=None)


def _reason(what: Mapping[str, Any], language: Language) -> str:
    """The words for an entry's reason: why a read was refused or a connection ended; a
    reason without words as it was recorded."""
    text = str(what.get("reason"))
    try:
        words = DENIAL_WORDS[DenialReason(text)]
    except ValueError:
        words = _ENDINGS.get(text, {})
    return words.get(language, str(what.get("reason", "")))


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _parse_date(value: object) -> date:
    return date.fromisoformat(str(value))
