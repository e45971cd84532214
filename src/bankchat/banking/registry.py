"""The bank registry: which banks people can link, where their NextGenPSD2 interface is,
and how the web messenger shows them.

The defaults are the sandbox banks (the CLI builds their entries; this module never
imports the sandbox). More banks come from a JSON file read by :func:`load_banks_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from babel import Locale
from babel.numbers import is_currency
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bankchat.errors import NotFound

_SLUG = r"^[a-z0-9][a-z0-9-]{1,31}$"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# CLDR knows these two-letter territories, but they are groupings or placeholders, not
# countries of ISO 3166-1.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})
_COUNTRIES = frozenset(
    str(code)
    for code in Locale("en").territories
    if len(str(code)) == 2 and str(code).isalpha() and code not in _NOT_COUNTRIES
)


class UnknownBank(NotFound):
    """No bank with that id is configured."""

    code = "UNKNOWN_BANK"


def _http_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", url):
        raise ValueError("must be an absolute http:// or https:// URL without query or fragment")
    return url


class BankEntry(BaseModel):
    """One bank people can link.

    ``base_url`` is the root of the bank's NextGenPSD2 interface: requests go to
    ``{base_url}/v1/...``. ``partner_base_url`` is the root of its partner extension
    (``{base_url}/partner/v1`` at the sandbox), if it offers one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1, max_length=70)
    base_url: str
    standard: Literal["nextgenpsd2"] = "nextgenpsd2"
    country: str
    currency: str
    language: Literal["de", "en"]
    primary_color: str
    accent_color: str
    partner_base_url: str | None = None
    partner_secret: SecretStr | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("partner_base_url")
    @classmethod
    def _partner_base_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value not in _COUNTRIES:
            raise ValueError("must be an ISO 3166-1 alpha-2 country code in capitals, e.g. DE")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value) or not is_currency(value):
            raise ValueError("must be an ISO 4217 currency code in capitals, e.g. EUR")
        return value

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError("must be a colour #rrggbb")
        return value.lower()


class BankRegistry:
    """The configured banks, by id."""

    def __init__(self, entries: Iterable[BankEntry]) -> None:
        self._entries: dict[str, BankEntry] = {}
        for entry in entries:
            if entry.id in self._entries:
                raise ValueError(f"bank id {entry.id!r} is configured twice")
            self._entries[entry.id] = entry

    def get(self, bank_id: str) -> BankEntry:
        """The bank ``bank_id``; ``UnknownBank`` if there is none."""
        entry = self._entries.get(bank_id)
        if entry is None:
            raise UnknownBank(f"There is no bank {bank_id[:40]!r}.")
        return entry

    def name_of(self, bank_id: str) -> str:
        """The bank's name, or its id when the registry no longer knows it (an old log
        entry, a bank taken out of the configuration)."""
        entry = self._entries.get(bank_id)
        return entry.name if entry is not None else bank_id

    def all(self) -> list[BankEntry]:
        """Every bank, by name."""
        return sorted(self._entries.values(), key=lambda e: (e.name.casefold(), e.id))

    def __contains__(self, bank_id: object) -> bool:
        return bank_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[BankEntry]:
        return iter(self.all())


def _location(loc: tuple[int | str, ...]) -> str:
    text = "banks"
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def load_banks_file(path: Path | str) -> list[BankEntry]:
    """The banks listed in the JSON file ``path``.

    The file is ``{"banks": [ {...}, ... ]}``; each bank has the snake_case keys of
    :class:`BankEntry` (``id``, ``name``, ``base_url``, ``standard``, ``country``,
    ``currency``, ``language``, ``primary_color``, ``accent_color``, and optionally
    ``partner_base_url`` and ``partner_secret``). Unknown keys are refused so a misspelt
    (or camelCase) key does not go unnoticed. Any problem is a ``ValueError`` naming the
    file and the offending field, never its value (it may be a secret).
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ValueError(f"{path}: cannot read the banks file: {reason}") from None
    try:
        document: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("banks"), list):
        raise ValueError(f'{path}: banks: expected an object {{"banks": [...]}}')
    if extra := sorted(set(document) - {"banks"}):
        raise ValueError(f"{path}: {extra[0]}: unknown key (only 'banks' is allowed)")
    entries: list[BankEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(document["banks"]):
        try:
            entry = BankEntry.model_validate(item)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            where = _location((index, *first["loc"]))
            raise ValueError(f"{path}: {where}: {first['msg']}") from None
        if entry.id in seen:
            raise ValueError(f"{path}: banks[{index}].id: duplicate bank id {entry.id!r}")
        seen.add(entry.id)
        entries.append(entry)
    return entries
