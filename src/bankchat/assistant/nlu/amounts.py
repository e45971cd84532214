"""Money amounts in what people write, German and English: "1.250,00", "1,200", "12,50 €",
"$45.50", "20 Euro", "12 bucks", "CHF 10", "12,-", "1 000", "1.5k", "zwanzig Euro", "ten".

How a written number is read (``parse_number``), by its shape alone:

1. Spaces and apostrophes between digit groups are grouping ("1 000", "1'234.50").
2. If both "." and "," occur, the one that comes last is the decimal mark ("1.250,00" and
   "1,250.00" are both 1250).
3. One mark that occurs more than once is grouping ("1.000.000").
4. One mark that occurs once is decimal when one or two digits follow it ("12,5", "12.50")
   and grouping when exactly three follow ("1,200" and "1.200" are both 1200), because money
   in the currencies people name here never has three decimal places. "0,500" is the one
   exception: a group cannot start with 0, so it reads as 0.50.
5. Groups after the first must have exactly three digits, the first one to three; anything
   else ("3.3.26", "1.2.3") is not an amount.

The shape is enough for every amount German or English notation produces, so the language
only decides which number words come first (and keeps the English "elf" from being eleven).

Numbers that are something else are never amounts: dates ("03.03.2026", "2026-03-03",
"3. März", "March 3rd"), times ("14:30", "15 Uhr", "3pm"), counts of days, weeks,
transactions ("last 30 days", "5 Buchungen", "top 3"), percentages, IBANs, card and account
digits ("card ending in 4242"), ordinals and years ("im Jahr 2025").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from bankchat.assistant.nlu.result import amount_text
from bankchat.assistant.nlu.text import (
    Token,
    fold,
    fold_variants,
    folded_words,
    overlaps,
    shadow,
    tokenize,
)
from bankchat.language import Language

CENT: Final = Decimal("0.01")

# --- currencies -------------------------------------------------------------------------

# Written forms (as the shadow spells them: lower case, umlauts as bare vowels) -> ISO 4217.
_CURRENCY_WORDS: Final[dict[str, str]] = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "us-dollar": "USD",
    "us-dollars": "USD",
    "us dollar": "USD",
    "us dollars": "USD",
    "buck": "USD",
    "bucks": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "pfund": "GBP",
    "britische pfund": "GBP",
    "britischen pfund": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "british pound": "GBP",
    "british pounds": "GBP",
    "quid": "GBP",
    "pence": "GBP",
    "chf": "CHF",
    "sfr": "CHF",
    "sfr.": "CHF",
    "franken": "CHF",
    "schweizer franken": "CHF",
    "franc": "CHF",
    "francs": "CHF",
    "swiss franc": "CHF",
    "swiss francs": "CHF",
    "¥": "JPY",
    "jpy": "JPY",
    "yen": "JPY",
    "c$": "CAD",
    "cad": "CAD",
    "a$": "AUD",
    "aud": "AUD",
    "sek": "SEK",
    "nok": "NOK",
    "dkk": "DKK",
    "pln": "PLN",
    "czk": "CZK",
    "huf": "HUF",
    "cny": "CNY",
}
# Forms that may stand before the number ("€12", "CHF 10", "US$ 5").
_PREFIX_FORMS: Final = ("us$", "c$", "a$", "€", "$", "£", "¥", "eur", "usd", "gbp", "chf", "sfr")
# "Cent" without a currency name says how small, not which currency.
_CENT_WORDS: Final = ("cents", "cent", "cts", "ct")


def _alternation(forms: Iterable[str]) -> str:
    """A regex alternation of literal forms, longest first so the longest one wins; a blank
    in a form may be missing in the text ("US Dollar", "USDollar")."""
    return "|".join(
        re.escape(form).replace("\\ ", " ").replace(" ", r"\s?")
        for form in sorted(forms, key=len, reverse=True)
    )


_SUFFIX_FORMS: Final = tuple(_CURRENCY_WORDS)

# --- number words -------------------------------------------------------------------------

_DE_UNITS: Final = {
    "ein": 1,
    "zwei": 2,
    "zwo": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
}
_DE_TEENS: Final = {
    "zehn": 10,
    "elf": 11,
    "zwölf": 12,
    "dreizehn": 13,
    "vierzehn": 14,
    "fünfzehn": 15,
    "sechzehn": 16,
    "siebzehn": 17,
    "achtzehn": 18,
    "neunzehn": 19,
}
_DE_TENS: Final = {
    "zwanzig": 20,
    "dreißig": 30,
    "vierzig": 40,
    "fünfzig": 50,
    "sechzig": 60,
    "siebzig": 70,
    "achtzig": 80,
    "neunzig": 90,
}
_EN_SMALL: Final = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS: Final = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
# Notes and round sums by their nicknames ("einen Zehner", "a tenner", "nen Fuffi").
_NICKNAMES: Final = {
    "fünfer": 5,
    "zehner": 10,
    "zwanziger": 20,
    "zwanni": 20,
    "fünfziger": 50,
    "fuffi": 50,
    "hunderter": 100,
    "hunni": 100,
    "fiver": 5,
    "tenner": 10,
}
_EN_MULTIPLIERS: Final = {"hundred": 100, "thousand": 1000, "grand": 1000}


def _keys(mapping: dict[str, int]) -> dict[str, int]:
    return {key: value for word, value in mapping.items() for key in fold_variants(word)}


def _german_below_hundred() -> dict[str, int]:
    words: dict[str, int] = {"eins": 1, "eine": 1, "einen": 1, "zwo": 2}
    words.update(_DE_UNITS)
    words.update(_DE_TEENS)
    words.update(_DE_TENS)
    for tens_word, tens in _DE_TENS.items():
        for unit_word, unit in _DE_UNITS.items():
            words[f"{unit_word}und{tens_word}"] = tens + unit
    return _keys(words) | {"dreisig": 30}


_DE_BELOW_HUNDRED: Final = _german_below_hundred()
_DE_HUNDRED_FACTORS: Final = _keys(_DE_UNITS) | {"": 1}
_EN_ATOMS: Final = _EN_SMALL | _EN_TENS
_NICKNAME_KEYS: Final = _keys(_NICKNAMES)
# English words that are ordinary words in German text too, or the other way round.
_NOT_NUMBERS_IN: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset({"elf", "acht", "eine", "ein", "einen"}),
    "de": frozenset({"one", "a"}),
}


def _german_below_thousand(key: str) -> int | None:
    if "hundert" not in key:
        return _DE_BELOW_HUNDRED.get(key)
    factor_key, _, rest = key.partition("hundert")
    factor = _DE_HUNDRED_FACTORS.get(factor_key)
    if factor is None:
        return None
    rest = rest.removeprefix("und")
    if not rest:
        return factor * 100
    below = _DE_BELOW_HUNDRED.get(rest)
    return None if below is None else factor * 100 + below


def german_number_word(key: str) -> int | None:
    """Value of a German number word given as a folded key ("fuenfundzwanzig" -> 25)."""
    if key in _NICKNAME_KEYS:
        return _NICKNAME_KEYS[key]
    if "tausend" not in key:
        return _german_below_thousand(key)
    factor_key, _, rest = key.partition("tausend")
    factor = 1 if factor_key in ("", "ein") else _german_below_thousand(factor_key)
    if factor is None:
        return None
    rest = rest.removeprefix("und")
    below = _german_below_thousand(rest) if rest else 0
    return None if below is None else factor * 1000 + below


def english_number_words(keys: Sequence[str]) -> int | None:
    """Value of English number words given as folded keys (["one", "hundred", "and",
    "twenty-five"] -> 125); None unless they form one number."""
    parts = [part for key in keys for part in key.split("-") if part]
    if parts and parts[-1] in _NICKNAME_KEYS and parts[:-1] in ([], ["a"]):
        return _NICKNAME_KEYS[parts[-1]]
    total = 0
    current = 0
    previous = ""  # kind of the previous part: "", "tens", "small", "multiplier"
    for index, part in enumerate(parts):
        if part == "and":
            if previous != "multiplier" or index == len(parts) - 1:
                return None
            continue
        if part == "a" and index == 0:
            current, previous = 1, "small"
            continue
        if part in _EN_TENS:
            if previous in ("tens", "small"):
                return None
            current += _EN_TENS[part]
            previous = "tens"
        elif part in _EN_SMALL:
            if previous == "small" or (previous == "tens" and _EN_SMALL[part] > 9):
                return None
            current += _EN_SMALL[part]
            previous = "small"
        elif part == "hundred":
            current = (current or 1) * 100
            previous = "multiplier"
        elif part in ("thousand", "grand"):
            total += (current or 1) * 1000
            current = 0
            previous = "multiplier"
        else:
            return None
    value = total + current
    return value or None


def is_number_word(key: str) -> bool:
    """Whether a folded word is (part of) a number written out, in either language."""
    return (
        key in _EN_ATOMS
        or key in _EN_MULTIPLIERS
        or key in _NICKNAME_KEYS
        or all(part in _EN_ATOMS for part in key.split("-"))
        or german_number_word(key) is not None
    )


# --- what is not an amount ----------------------------------------------------------------

_MONTH_WORDS: Final = (
    r"(?:jae?n(?:uar|ner|uary)?|feb(?:r(?:uar)?|ruary|uary)?|feber|mae?rz|mrz|mar(?:ch)?"
    r"|apr(?:il)?|mai|may|june?|juni|july?|juli|aug(?:ust)?|sept?(?:ember)?|o[kc]t(?:ober)?"
    r"|nov(?:ember)?|de[zc](?:ember)?)\.?"
)
_COUNTED_UNITS: Final = (
    r"(?:tag(?:e|en)?|days?|woche(?:n)?|weeks?|monat(?:e|en)?|months?|jahr(?:e|en)?|years?"
    r"|stunde(?:n)?|hours?|minute(?:n)?|minutes?|mal|times|x|transaktion(?:en)?|transactions?"
    r"|umsatz|umsatze(?:n)?|buchung(?:en)?|abbuchung(?:en)?|zahlung(?:en)?|payments?"
    r"|eintrag|eintrage(?:n)?|entries|entry|items?|posten|bookings?|ziffern|digits"
    r"|kategorien|categories|prozent|percent|pct|%|uhr|o'?clock|h)"
)
# Numbers these cover are never amounts, whatever currency stands next to them. The
# patterns that begin with a digit are kept apart behind a digit lookahead, which lets the
# regex engine skip straight to digits.
_NEVER_MONEY_RES: Final = (
    re.compile(
        r"(?=\d)(?:"
        + "|".join(
            (
                r"\b\d{4}-\d{1,2}-\d{1,2}\b",  # ISO date
                r"\b\d{1,2}:\d{2}(?::\d{2})?\b",  # 14:30
                r"\b\d{1,2}[.]\d{2}\s?(?:uhr|h)\b",  # 12.30 Uhr
                r"\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)(?![a-z])(?<!\d\sam)",  # 3pm, not "20 am"
                r"\b\d{4}(?:[ -]?\d{4}){2,4}\b",  # card number
                r"\d{10,}",  # account and phone numbers
                r"\d+(?:[.,]\d+)?\s?(?:%|prozent|percent|pct)(?![a-z])",
            )
        )
        + ")"
    ),
    re.compile(
        "|".join(
            (
                r"\b[a-z]{2}\d{2}(?:\s?[a-z0-9]{4}){2,7}(?:\s?[a-z0-9]{1,3})?\b",  # IBAN
                r"(?:\*{2,}|x{3,}|•+)\s?\d{2,4}",  # masked card digits
                r"\b(?:ending|ends|endet|endung|endziffern?|last\s(?:four|4)(?:\sdigits)?"
                r"|letzten\s(?:vier|4)(?:\sziffern)?)\s(?:(?:in|with|on|auf|mit|:)\s?)?\d{2,6}\b",
            )
        )
    ),
)
# Day.month dates, checked for a real day and month before they count.
_DAY_MONTH_RE: Final = re.compile(
    r"(?=\d)(?:(?<![\d.,])(?P<day>\d{1,2})(?P<mark>[./])(?P<month>\d{1,2})"
    r"(?:(?P=mark)(?:\d{4}|\d{2})?)(?![\d,])"
    r"|(?<![\d.,/])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d.,/]))"
)
# Numbers these cover are not amounts unless a currency is named with them.
_PROBABLY_NOT_MONEY_RES: Final = (
    re.compile(
        r"(?=\d)(?:"
        + "|".join(
            (
                rf"\b\d{{1,2}}(?:\.|st|nd|rd|th)?\s?(?:of\s)?{_MONTH_WORDS}(?![a-z])",  # 3. März
                r"\b\d+(?:st|nd|rd|th)\b",  # ordinals
                rf"\d+(?:[.,]\d+)?\s?{_COUNTED_UNITS}(?![a-z])",  # 30 Tage, 15 Uhr, 3 Buchungen
            )
        )
        + ")"
    ),
    re.compile(
        r"\b(?:"
        + "|".join(
            (
                rf"{_MONTH_WORDS}\s?\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s?\d{{4}})?\b",  # March 3rd
                rf"{_MONTH_WORDS}\s?'?\d{{2,4}}\b",  # März 2025, Mar '25
                r"(?:karte|card|konto|account|kontonummer|iban|nummer|number|nr\.?)\s?:?\s?"
                r"\d{2,}\b",
                r"(?:art|artikel|article|abs|absatz|paragraph|para)\.?\s?\d+\b",  # Art. 15
                r"(?:last|past|previous|letzte[nrs]?|vergangene[nrs]?|top|first|erste[nrs]?"
                r"|next|nachste[nrs]?)\s\d+\b",
                r"(?:im\sjahr|in\sthe\syear|jahr|year|in|im|seit|since|vom|until|bis|anno|ende"
                r"|end|anfang|start)\s(?:19|20)\d{2}\b",
            )
        )
        + r")|(?:#|§)\s?:?\s?\d+\b"
    ),
)


def _spans(patterns: Iterable[re.Pattern[str]], folded: str, start: int) -> list[tuple[int, int]]:
    return [match.span() for pattern in patterns for match in pattern.finditer(folded, start)]


def _never_money_spans(folded: str, start: int) -> list[tuple[int, int]]:
    spans = _spans(_NEVER_MONEY_RES, folded, start)
    for match in _DAY_MONTH_RE.finditer(folded, start):
        if match["day"] is not None:
            day, month = int(match["day"]), int(match["month"])
        else:
            # "3/4" may be day/month or month/day; either way it is a date if one reading is.
            day, month = sorted((int(match["a"]), int(match["b"])), reverse=True)
            if month > 12:
                continue
        if 1 <= day <= 31 and 1 <= month <= 12:
            spans.append(match.span())
    return spans


def _probably_not_money_spans(folded: str, start: int) -> list[tuple[int, int]]:
    return _spans(_PROBABLY_NOT_MONEY_RES, folded, start)


_DIGIT_RE: Final = re.compile(r"\d")
# The longest stretch of words a pattern above puts before the first digit it covers
# ("last four digits ending in", "in the year"), with room to spare.
_MASK_REACH: Final = 40

# --- amounts --------------------------------------------------------------------------------

_NUMBER: Final = r"\d{1,3}(?:[ ']\d{3}(?!\d))+(?:[.,]\d{1,2}(?!\d))?|\d+(?:[.,']\d+)*"
_AMOUNT_RE: Final = re.compile(
    rf"(?<![\w.,'$€£¥])"
    rf"(?:(?P<prefix>{_alternation(_PREFIX_FORMS)})\s?)?"
    rf"(?P<number>{_NUMBER})"
    r"(?P<dash>[.,]-{1,2}(?!\d))?"
    r"(?:\s?(?P<thousands>k|tsd\.?|tausend|thousand)(?![a-z]))?"
    rf"(?:\s?(?P<suffix>{_alternation(_SUFFIX_FORMS)})(?![a-z])"
    rf"(?:\s(?P<cents>\d{{2}})(?![\d.,:])(?!\s?{_COUNTED_UNITS}(?![a-z])))?"
    rf"|\s?(?P<cent_word>{_alternation(_CENT_WORDS)})(?![a-z]))?"
    r"(?![a-z\d]|[-/:]\d|[.,]\d)"
)
_CONNECTOR_RE: Final = re.compile(r"\s?(?:-|bis|to|and|und|or|oder)\s?")
_COMPARISON_KEYS: Final = frozenset(
    {
        "over",
        "above",
        "under",
        "below",
        "than",
        "least",
        "most",
        "ueber",
        "uber",
        "unter",
        "als",
        "mindestens",
        "hoechstens",
        "ab",
        "bis",
        "exactly",
        "genau",
        "about",
        "around",
        "ungefaehr",
        "etwa",
        "circa",
        "ca",
    }
)


@dataclass(frozen=True, slots=True)
class AmountMatch:
    """An amount found in an utterance: its value, the currency if one is named, and where it
    stands (``start``..``end`` cut the utterance as written)."""

    value: Decimal
    currency: str | None
    start: int
    end: int
    in_words: bool = False

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def text(self) -> str:
        """The contract's form: two decimal places, no grouping ("1234.50")."""
        return amount_text(self.value)


def currency_code(written: str) -> str | None:
    """The ISO 4217 code a written currency names ("€", "Euro", "bucks", "US-Dollar")."""
    return _CURRENCY_BY_KEY.get(_currency_key(written))


def _currency_key(written: str) -> str:
    return fold(written).replace(" ", "").replace("-", "").removesuffix(".")


_CURRENCY_BY_KEY: Final = {_currency_key(form): code for form, code in _CURRENCY_WORDS.items()}


def parse_number(written: str) -> Decimal | None:
    """Read a written number by the shape rules of this module's docstring; None if the
    shape is not a number an amount can have."""
    digits = written
    for blank in (" ", "'", "\u00a0", "\u202f", "’"):
        digits = digits.replace(blank, "")
    grouped_by_blank = len(digits) != len(written)
    marks = [character for character in digits if character in ".,"]
    if not marks:
        return _number(digits, "")
    if len(set(marks)) == 2:
        decimal_mark = digits[max(digits.rfind("."), digits.rfind(","))]
        whole, _, fraction = digits.rpartition(decimal_mark)
        group_mark = "," if decimal_mark == "." else "."
        if decimal_mark in whole or not 1 <= len(fraction) <= 2:
            return None
        return _grouped(whole.split(group_mark), fraction)
    parts = digits.split(marks[0])
    if len(parts) > 2:
        return None if grouped_by_blank else _grouped(parts, "")
    whole, fraction = parts
    if 1 <= len(fraction) <= 2 or (len(fraction) == 3 and whole == "0"):
        return _number(whole, fraction)
    if len(fraction) == 3 and not grouped_by_blank:
        return _grouped(parts, "")
    return None


def _grouped(groups: list[str], fraction: str) -> Decimal | None:
    first, *rest = groups
    if not 1 <= len(first) <= 3 or (first.startswith("0") and len(first) > 1):
        return None
    if any(len(group) != 3 for group in rest):
        return None
    return _number("".join(groups), fraction)


def _number(whole: str, fraction: str) -> Decimal | None:
    if not whole.isdigit() or not whole.isascii() or (fraction and not fraction.isdigit()):
        return None
    return Decimal(f"{whole}.{fraction or '0'}")


def _digit_amounts(
    folded: str, never: Sequence[tuple[int, int]], unless_currency: Sequence[tuple[int, int]]
) -> list[AmountMatch]:
    found: list[AmountMatch] = []
    for match in _AMOUNT_RE.finditer(folded):
        value = parse_number(match["number"])
        if value is None:
            continue
        written_currency = match["prefix"] or match["suffix"]
        currency = currency_code(written_currency) if written_currency else None
        number_span = match.span("number")
        if overlaps(*number_span, never):
            continue
        if currency is None and overlaps(*number_span, unless_currency):
            continue
        if match["thousands"]:
            value *= 1000
        if match["cents"]:
            value += Decimal(match["cents"]) / 100
        if match["cent_word"] or (written_currency and _currency_key(written_currency) == "pence"):
            value /= 100
        found.append(AmountMatch(value.quantize(CENT), currency, *match.span()))
    return found


def _word_amounts(
    tokens: Sequence[Token],
    language: Language,
    never: Sequence[tuple[int, int]],
    unless_currency: Sequence[tuple[int, int]],
) -> list[AmountMatch]:
    found: list[AmountMatch] = []
    index = 0
    denied = _NOT_NUMBERS_IN[language]
    while index < len(tokens):
        end_index, value = _number_word_run(tokens, index, denied)
        if value is None:
            index += 1
            continue
        first, last = tokens[index], tokens[end_index - 1]
        start, end = first.start, last.end
        currency: str | None = None
        if end_index < len(tokens):
            following = _currency_after(tokens, end_index)
            if following is not None:
                currency, end = following
        if currency is None and index > 0 and tokens[index - 1].text in "€$£¥":
            currency, start = currency_code(tokens[index - 1].text), tokens[index - 1].start
        is_one = value == 1 and last.key not in _NICKNAME_KEYS
        blocked = overlaps(first.start, last.end, never) or (
            currency is None and overlaps(first.start, last.end, unless_currency)
        )
        counts = currency is None and (is_one or _counts_something(tokens, index, end_index))
        if not blocked and not counts:
            found.append(AmountMatch(Decimal(value).quantize(CENT), currency, start, end, True))
        index = end_index
    return found


def _number_word_run(
    tokens: Sequence[Token], index: int, denied: frozenset[str]
) -> tuple[int, int | None]:
    key = tokens[index].key
    if key in denied or key == "and":
        return index + 1, None
    if _is_english_part(key):
        end = index
        while end < len(tokens) and _is_english_part(tokens[end].key):
            end += 1
        while end > index + 1 and tokens[end - 1].key in ("and", "a"):
            end -= 1
        keys = [token.key for token in tokens[index:end]]
        if keys == ["a"]:
            return index + 1, None
        return end, english_number_words(keys)
    if key.isalpha():
        return index + 1, german_number_word(key)
    return index + 1, None


def _is_english_part(key: str) -> bool:
    if key in _EN_PARTS:
        return True
    return "-" in key and all(part in _EN_PARTS for part in key.split("-"))


def _currency_after(tokens: Sequence[Token], index: int) -> tuple[str, int] | None:
    """The currency named by the token(s) at ``index`` and where that name ends."""
    if index + 1 < len(tokens):
        pair = currency_code(f"{tokens[index].key} {tokens[index + 1].key}")
        if pair is not None:
            return pair, tokens[index + 1].end
    single = currency_code(tokens[index].key)
    return None if single is None else (single, tokens[index].end)


_EN_PARTS: Final = frozenset({"a", "and", *_EN_ATOMS, *_EN_MULTIPLIERS, *_NICKNAME_KEYS})
_UNIT_KEYS: Final = folded_words(
    "tag tage tagen day days woche wochen week weeks monat monate monaten month months jahr "
    "jahre jahren year years mal times transaktion transaktionen transaction transactions "
    "umsatz umsätze umsätzen buchung buchungen zahlung zahlungen payment payments eintrag "
    "einträge entries items posten bookings ziffern digits prozent percent uhr kategorien "
    "categories stunden hours minuten minutes of von der things dinge sachen fragen "
    "questions people leute"
)
_COUNT_BEFORE_KEYS: Final = folded_words(
    "last past previous letzten letzte vergangenen top first ersten next nächsten"
)


def _counts_something(tokens: Sequence[Token], index: int, end_index: int) -> bool:
    """Whether a bare number word counts things ("last seven days", "zwei Buchungen")."""
    if end_index < len(tokens) and tokens[end_index].key in _UNIT_KEYS:
        return True
    return index > 0 and tokens[index - 1].key in _COUNT_BEFORE_KEYS


def _with_range_currency(candidates: list[AmountMatch], folded: str) -> list[AmountMatch]:
    """In "zwischen 20 und 50 Euro" the first number shares the currency of the second."""
    result = list(candidates)
    for position in range(len(result) - 1):
        first, second = result[position], result[position + 1]
        joined = _CONNECTOR_RE.fullmatch(folded[first.end : second.start]) is not None
        if joined and first.currency is None and second.currency is not None:
            result[position] = AmountMatch(
                first.value, second.currency, first.start, first.end, first.in_words
            )
    return result


def find_amounts(
    text: str,
    language: Language,
    *,
    blocked: Sequence[tuple[int, int]] = (),
    tokens: Sequence[Token] | None = None,
    bare_words: bool = True,
) -> list[AmountMatch]:
    """Every amount in ``text``, in order.

    ``blocked`` are spans already known to be something else (a period found by
    ``find_period``); a number there is still an amount when a currency is named with it.
    ``bare_words=False`` drops number words that have neither a currency nor a comparison
    before them ("over fifty" stays, "help with two things" goes).
    """
    folded = shadow(text)
    never: list[tuple[int, int]] = []
    unless_currency = list(blocked)
    candidates: list[AmountMatch] = []
    first_digit = _DIGIT_RE.search(folded)
    if first_digit is not None:
        # Every pattern that covers a number starts at most a few words before it.
        start = max(0, first_digit.start() - _MASK_REACH)
        never = _never_money_spans(folded, start)
        unless_currency += _probably_not_money_spans(folded, start)
        candidates = _digit_amounts(folded, never, unless_currency)
    words = tokenize(text) if tokens is None else tokens
    taken = [candidate.span for candidate in candidates]
    for match in _word_amounts(words, language, never, unless_currency):
        if overlaps(match.start, match.end, taken):
            continue
        if not bare_words and match.currency is None and not _after_comparison(words, match):
            continue
        candidates.append(match)
    candidates.sort(key=lambda match: match.start)
    return _with_range_currency(candidates, folded)


def _after_comparison(tokens: Sequence[Token], match: AmountMatch) -> bool:
    before = [token for token in tokens if token.end <= match.start]
    return bool(before) and before[-1].key in _COMPARISON_KEYS


def choose_amount(candidates: Sequence[AmountMatch]) -> AmountMatch | None:
    """The amount an utterance is about: the first with a currency, else the first."""
    for candidate in candidates:
        if candidate.currency is not None:
            return candidate
    return candidates[0] if candidates else None


def find_amount(
    text: str,
    language: Language,
    *,
    blocked: Sequence[tuple[int, int]] = (),
    tokens: Sequence[Token] | None = None,
    bare_words: bool = True,
) -> AmountMatch | None:
    """The amount ``text`` is about, or None (see ``find_amounts`` and ``choose_amount``)."""
    return choose_amount(
        find_amounts(text, language, blocked=blocked, tokens=tokens, bare_words=bare_words)
    )
