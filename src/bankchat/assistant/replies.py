"""Every sentence the assistant says, in German and English, from the babel catalogs in
``locale/{de,en}/LC_MESSAGES/assistant.po`` (read once at import; no compiled files), and
amounts and dates formatted per locale.

Message ids are stable keys ("balance.title"); the catalogs hold the wording, with
``{name}`` placeholders filled by ``translate``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date, format_interval
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from bankchat.language import LANGUAGES, Language

LOCALE_DIR: Final = Path(__file__).parent / "locale"
DOMAIN: Final = "assistant"
# Babel's locales for formatting: German as in Germany, English as the web client shows it.
BABEL_LOCALES: Final[dict[Language, str]] = {"de": "de_DE", "en": "en"}
# Parsed once: babel parses a locale name again on every call, and a balance card formats
# several amounts.
_LOCALES: Final[dict[Language, Locale]] = {
    language: Locale.parse(name) for language, name in BABEL_LOCALES.items()
}


class MissingReply(LookupError):
    """A message id without a translation: a catalog is incomplete."""


def catalog_path(language: Language) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(language: Language) -> Catalog:
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _texts(catalog: Catalog) -> dict[str, str]:
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string
    }


_TEXTS: Final[dict[Language, dict[str, str]]] = {
    language: _texts(load_catalog(language)) for language in LANGUAGES
}


def translate(language: Language, msgid: str, **params: object) -> str:
    """The reply ``msgid`` in ``language`` with its placeholders filled."""
    try:
        template = _TEXTS[language][msgid]
    except KeyError:
        raise MissingReply(f"no {language} text for {msgid!r}") from None
    return template.format(**params) if params else template


def translate_count(language: Language, msgid: str, count: int, **params: object) -> str:
    """``msgid.one`` for one, ``msgid.other`` for any other count (German and English
    plurals need no more); ``{count}`` is filled in."""
    form = "one" if count == 1 else "other"
    return translate(language, f"{msgid}.{form}", count=count, **params)


def money(amount: Decimal, currency: str, language: Language) -> str:
    """``1.234,56 €`` in German, ``€1,234.56`` in English."""
    return format_currency(amount, currency, locale=_LOCALES[language])


def day(value: date, language: Language) -> str:
    """A date as people write it: ``20.11.2026`` / ``Nov 20, 2026``."""
    return format_date(value, format="medium", locale=_LOCALES[language])


def short_day(value: date, language: Language) -> str:
    """A date within a list, without the year: ``20. Nov.`` / ``Nov 20``."""
    pattern = "d. MMM" if language == "de" else "MMM d"
    return format_date(value, format=pattern, locale=_LOCALES[language])


def period(start: date, end: date, language: Language) -> str:
    """A date range, shortened as the locale does: ``1.–31. Okt. 2026`` / ``Oct 1 – 31, 2026``."""
    return format_interval(start, end, "yMMMd", locale=_LOCALES[language])


def join(items: list[str], language: Language) -> str:
    """``a, b und c`` / ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + translate(language, "words.and") + items[-1]
