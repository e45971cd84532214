"""Periods in what people write, German and English, resolved to dates by DESIGN.md's NLU
contract relative to ``today``. Both ends are inclusive.

- "today"/"heute", "yesterday"/"gestern", "vorgestern"/"the day before yesterday".
- "this week"/"diese Woche": Monday of this week to today; "last week"/"letzte, vergangene,
  vorige Woche"/"Vorwoche": the previous Monday to Sunday.
- "this month"/"diesen Monat"/"im aktuellen Monat": the first of the month to today;
  "last month"/"letzten Monat"/"im Vormonat": the previous calendar month. The same for
  years ("dieses Jahr"/"heuer": 1 January to today; "letztes Jahr"/"im Vorjahr") and
  quarters.
- A named month ("March", "Maerz", "Jänner", "Sept") is its most recent occurrence not after
  today; the current month ends today. "last March" is the one before the current month when
  the names agree. With a year ("März 2025", "Mar '25") it is that month. A year with a
  preposition ("in 2025", "im Jahr 2025") is that year.
- A date ("3 March", "March 3rd", "2026-03-03", "03.03.2026", "3.3.", "dem 3. März", a weekday)
  is that day, its year the most recent one not after today when none is written. Slashed
  dates are day/month in German and month/day in English unless only the other order is a
  date.
- "since <date or period>"/"seit"/"ab": from its start to today.
- "from <a> to <b>"/"vom <a> bis <b>"/"zwischen <a> und <b>"/"1.-15. März": from the start of
  a to the end of b.
- "last N days"/"in den letzten N Tagen": today and the N-1 days before it. "last N weeks"
  is N*7 days ending today; "last N months" and "last N years" end today and start the day
  after the same date N calendar months or years earlier (so "last 3 months" on 23 November
  is 24 August to 23 November). "N days ago"/"vor N Tagen" is that one day.
- "over the weekend"/"am Wochenende": the most recent Saturday and Sunday, ending today at
  the latest.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from bankchat.assistant.nlu.amounts import (
    currency_code,
    english_number_words,
    german_number_word,
    is_number_word,
)
from bankchat.assistant.nlu.result import Period
from bankchat.assistant.nlu.text import (
    Token,
    fold,
    has_digit,
    shadow,
    shadow_words,
    tokenize,
    trie_pattern,
)
from bankchat.language import Language


@dataclass(frozen=True, slots=True)
class PeriodMatch:
    """A period found in an utterance and where it stands (``start``..``end`` cut the
    utterance as written)."""

    date_from: date
    date_to: date
    start: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def period(self) -> Period:
        return Period(self.date_from, self.date_to)


# --- words, as the shadow spells them (lower case, umlauts as bare vowels, "ß" as "s") ---

_MONTH_NAMES: Final[dict[int, tuple[str, ...]]] = {
    1: ("januar", "january", "janner", "jaenner", "januray", "janurary", "jan"),
    2: ("februar", "february", "feber", "febuary", "feburary", "febraury", "febr", "feb"),
    3: ("marz", "maerz", "march", "mrz", "mar"),
    4: ("april", "apr"),
    5: ("mai", "may"),
    6: ("juni", "june", "jun"),
    7: ("juli", "july", "jul"),
    8: ("august", "aug"),
    9: ("september", "septmber", "sept", "sep"),
    10: ("oktober", "october", "okt", "oct"),
    11: ("november", "nov"),
    12: ("dezember", "december", "dez", "dec"),
}
_MONTH_BY_NAME: Final = {name: month for month, names in _MONTH_NAMES.items() for name in names}
# Month names that are also names of people or ordinary words: they count only where the
# words around them say a month is meant.
_AMBIGUOUS_MONTHS: Final = frozenset({"jan", "mar", "march", "april", "may", "june", "august"})
_MONTH_PREPOSITIONS: Final = shadow_words(
    "in im for für since seit during während of ab bis until till through between zwischen "
    "and und last this past previous letzten letzter diesen diesem vergangenen vorigen"
)
_MONTH_CONTEXT_BEFORE: Final = _MONTH_PREPOSITIONS | shadow_words(
    "spending spent ausgaben umsätze transactions expenses"
)
_MONTH_CONTEXT_AFTER: Final = shadow_words(
    "spending expenses transactions statement payments bills ausgaben umsätze buchungen "
    "abrechnung kontoauszug zahlungen"
)
_RANGE_WORDS: Final = frozenset({"to", "until", "till", "through", "thru", "-"})
_WEEKDAYS: Final[dict[str, int]] = {
    "montag": 0,
    "monday": 0,
    "dienstag": 1,
    "tuesday": 1,
    "mittwoch": 2,
    "wednesday": 2,
    "donnerstag": 3,
    "thursday": 3,
    "freitag": 4,
    "friday": 4,
    "samstag": 5,
    "sonnabend": 5,
    "saturday": 5,
    "sonntag": 6,
    "sunday": 6,
}


_MONTH: Final = rf"(?P<month>{trie_pattern(_MONTH_BY_NAME)})\.?"
_DAY: Final = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|\.)?"
_YEAR: Final = r"(?P<year>(?:19|20)\d{2})"
_LAST: Final = (
    r"(?:last|previous|past|prior|letzte[nmrs]?|vergangene[nmrs]?|vorige[nmrs]?"
    r"|vorherige[nmrs]?)"
)
_THIS: Final = r"(?:this|current|diese[nmrs]?|aktuelle[nmrs]?|laufende[nmrs]?)"
# A weekday written before a date ("Tuesday, March 3, 2026") belongs to it.
_DATE_WEEKDAY: Final = rf"(?:\b(?:{trie_pattern(_WEEKDAYS)}),?\s)?"
_COUNT: Final = r"(?P<count>\d{1,3}|[a-z]+(?:[\s-][a-z]+)?)"

# --- date arithmetic ----------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _until_today(first: date, last: date, today: date) -> tuple[date, date]:
    return (first, min(last, today) if first <= today else last)


def _whole_month(year: int, month: int, today: date) -> tuple[date, date]:
    return _until_today(date(year, month, 1), _month_end(year, month), today)


def _most_recent_year(month: int, day: int, today: date) -> int:
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _day(year: int | None, month: int, day: int, today: date) -> tuple[date, date] | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    chosen = _most_recent_year(month, day, today) if year is None else year
    try:
        resolved = date(chosen, month, day)
    except ValueError:
        return None
    return (resolved, resolved)


def _year_of(written: str | None) -> int | None:
    if not written:
        return None
    return 2000 + int(written) if len(written) == 2 else int(written)


def _count(written: str, original: str) -> int | None:
    if written.isdigit():
        return int(written)
    key = fold(original)
    value = german_number_word(key)
    if value is None:
        value = english_number_words(key.replace("-", " ").split())
    return value


# --- the rules ------------------------------------------------------------------------------

Resolved = tuple[date, date] | None


@dataclass(frozen=True, slots=True)
class _Context:
    """What a rule sees of the utterance besides its own match."""

    text: str
    folded: str
    today: date
    language: Language


Resolver = Callable[[re.Match[str], _Context], Resolved]


def _today(_: re.Match[str], context: _Context) -> Resolved:
    return (context.today, context.today)


def _days_back(days: int) -> Resolver:
    def resolve(_: re.Match[str], context: _Context) -> Resolved:
        day = context.today - timedelta(days=days)
        return (day, day)

    return resolve


def _this_week(_: re.Match[str], context: _Context) -> Resolved:
    return (context.today - timedelta(days=context.today.weekday()), context.today)


def _last_week(_: re.Match[str], context: _Context) -> Resolved:
    monday = context.today - timedelta(days=context.today.weekday() + 7)
    return (monday, monday + timedelta(days=6))


def _this_month(_: re.Match[str], context: _Context) -> Resolved:
    return (_month_start(context.today), context.today)


def _last_month(_: re.Match[str], context: _Context) -> Resolved:
    previous = _shift_months(_month_start(context.today), -1)
    return (previous, _month_end(previous.year, previous.month))


def _this_year(_: re.Match[str], context: _Context) -> Resolved:
    return (date(context.today.year, 1, 1), context.today)


def _last_year(_: re.Match[str], context: _Context) -> Resolved:
    year = context.today.year - 1
    return (date(year, 1, 1), date(year, 12, 31))


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _this_quarter(_: re.Match[str], context: _Context) -> Resolved:
    return (_quarter_start(context.today), context.today)


def _last_quarter(_: re.Match[str], context: _Context) -> Resolved:
    start = _shift_months(_quarter_start(context.today), -3)
    end = _shift_months(start, 2)
    return (start, _month_end(end.year, end.month))


def _named_quarter(match: re.Match[str], context: _Context) -> Resolved:
    quarter = int(match["quarter"])
    year = _year_of(match["year"]) or context.today.year
    if match["year"] is None and (quarter - 1) * 3 + 1 > context.today.month:
        year -= 1
    first = date(year, (quarter - 1) * 3 + 1, 1)
    return _until_today(first, _month_end(year, first.month + 2), context.today)


def _weekend(_: re.Match[str], context: _Context) -> Resolved:
    saturday = context.today - timedelta(days=(context.today.weekday() - 5) % 7)
    return (saturday, min(saturday + timedelta(days=1), context.today))


def _last_count(match: re.Match[str], context: _Context) -> Resolved:
    count = _count(match["count"], context.text[match.start("count") : match.end("count")])
    if count is None or count < 1:
        return None
    unit = match["unit"]
    today = context.today
    if unit.startswith(("d", "t")):
        return (today - timedelta(days=count - 1), today)
    if unit.startswith(("w",)):
        return (today - timedelta(days=7 * count - 1), today)
    months = count if unit.startswith("m") else 12 * count
    return (_shift_months(today, -months) + timedelta(days=1), today)


def _days_ago(match: re.Match[str], context: _Context) -> Resolved:
    count = _count(match["count"], context.text[match.start("count") : match.end("count")])
    if count is None:
        return None
    day = context.today - timedelta(days=count)
    return (day, day)


def _weekday(match: re.Match[str], context: _Context) -> Resolved:
    wanted = _WEEKDAYS[match["weekday"]]
    back = (context.today.weekday() - wanted) % 7
    if back == 0 and match["modifier"] and re.fullmatch(_LAST, match["modifier"]):
        back = 7
    day = context.today - timedelta(days=back)
    return (day, day)


def _year(match: re.Match[str], context: _Context) -> Resolved:
    year = int(match["year"])
    return _until_today(date(year, 1, 1), date(year, 12, 31), context.today)


def _month_with_year(match: re.Match[str], context: _Context) -> Resolved:
    year = _year_of(match["year"] or match["short_year"])
    if year is None:  # pragma: no cover - the pattern requires one of them
        return None
    return _whole_month(year, _MONTH_BY_NAME[match["month"]], context.today)


def _named_month(match: re.Match[str], context: _Context) -> Resolved:
    name = match["month"]
    if name in _AMBIGUOUS_MONTHS and not match["modifier"] and not _month_meant(match, context):
        return None
    month = _MONTH_BY_NAME[name]
    today = context.today
    year = today.year if month <= today.month else today.year - 1
    if month == today.month and match["modifier"] and re.fullmatch(_LAST, match["modifier"]):
        year -= 1
    return _whole_month(year, month, today)


def _month_meant(match: re.Match[str], context: _Context) -> bool:
    before = context.folded[max(0, match.start() - 30) : match.start()].split()
    after = context.folded[match.end() : match.end() + 20].split()
    if before and before[-1] in _MONTH_PREPOSITIONS:
        return True
    if match["month"] == "may":
        # "spending may rise" is no month; "May spending" is.
        written = context.text[match.start("month") : match.end("month")]
        return written[:1].isupper() and bool(after and after[0] in _MONTH_CONTEXT_AFTER)
    if before and before[-1] in _MONTH_CONTEXT_BEFORE:
        return True
    if after and after[0] in _MONTH_CONTEXT_AFTER:
        return True
    # The end of a range of months: "from January to May".
    return (
        len(before) >= 2
        and before[-1] in _RANGE_WORDS
        and before[-2].rstrip(".,") in _MONTH_BY_NAME
    )


def _not_money(match: re.Match[str], context: _Context) -> bool:
    """A day number followed by a currency ("Jan 20 euros") is an amount, not a date."""
    after = context.folded[match.end() : match.end() + 12].split()
    return not after or currency_code(after[0]) is None


def _day_month(match: re.Match[str], context: _Context) -> Resolved:
    if not _not_money(match, context):
        return None
    month = _MONTH_BY_NAME[match["month"]]
    return _day(_year_of(match["year"]), month, int(match["day"]), context.today)


def _iso_date(match: re.Match[str], context: _Context) -> Resolved:
    return _day(int(match["year"]), int(match["month"]), int(match["day"]), context.today)


def _dotted_date(match: re.Match[str], context: _Context) -> Resolved:
    return _day(_year_of(match["year"]), int(match["month"]), int(match["day"]), context.today)


def _slashed_date(match: re.Match[str], context: _Context) -> Resolved:
    first, second = int(match["first"]), int(match["second"])
    day_first = context.language == "de"
    if first > 12:
        day_first = True
    elif second > 12:
        day_first = False
    day, month = (first, second) if day_first else (second, first)
    return _day(_year_of(match["year"]), month, day, context.today)


def _day_range(match: re.Match[str], context: _Context) -> Resolved:
    month = _MONTH_BY_NAME[match["month"]]
    year = _year_of(match["year"])
    last = _day(year, month, int(match["last_day"]), context.today)
    if last is None:
        return None
    first = _day(last[0].year, month, int(match["first_day"]), context.today)
    if first is None or first[0] > last[0]:
        return None
    return (first[0], last[0])


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str
    resolve: Resolver
    # A written calendar date: "from" before it means "since" ("from 3 March"), while
    # "from yesterday" or "from last month" mean during it.
    is_date: bool = False


_RULES: Final[tuple[_Rule, ...]] = (
    _Rule(
        r"\b(?:(?:vom|from|between|zwischen)\s)?(?:(?:dem|the)\s)?(?P<first_day>[0-3]?\d)"
        r"(?:st|nd|rd|th|\.)?\s?(?:-|bis|to|until|and|und)\s?(?:(?:zum|the)\s)?"
        rf"(?P<last_day>[0-3]?\d)(?:st|nd|rd|th|\.)?\s?(?:of\s)?{_MONTH}(?:\s{_YEAR})?(?![a-z])",
        _day_range,
    ),
    _Rule(
        rf"{_DATE_WEEKDAY}\b(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})\b",
        _iso_date,
        True,
    ),
    _Rule(
        rf"{_DATE_WEEKDAY}(?<![\d.,])(?P<day>\d{{1,2}})\.(?P<month>\d{{1,2}})\."
        r"(?P<year>\d{4}|\d{2})?(?![\d,]|\.\d)",
        _dotted_date,
        True,
    ),
    _Rule(
        rf"{_DATE_WEEKDAY}(?<![\d.,/])(?P<first>\d{{1,2}})/(?P<second>\d{{1,2}})"
        r"(?:/(?P<year>\d{4}|\d{2}))?(?![\d/])",
        _slashed_date,
        True,
    ),
    _Rule(
        rf"{_DATE_WEEKDAY}\b(?:(?:the|dem|den|der)\s)?{_DAY}\s?(?:of\s)?{_MONTH}"
        rf"(?:,?\s{_YEAR})?(?![a-z])",
        _day_month,
        True,
    ),
    _Rule(rf"\b{_MONTH}\s?(?:{_YEAR}|'(?P<short_year>\d{{2}}))\b", _month_with_year),
    _Rule(
        rf"{_DATE_WEEKDAY}\b{_MONTH}\s(?:the\s)?{_DAY}(?:,?\s{_YEAR})?(?![a-z\d])",
        _day_month,
        True,
    ),
    _Rule(
        r"\b(?:(?:in|im|within|over|during|for|innerhalb|wahrend)\s)?(?:(?:the|der|die|den)\s)?"
        rf"{_LAST}\s{_COUNT}\s"
        r"(?P<unit>days?|tagen?|tage|weeks?|wochen|months?|monate[n]?|years?|jahre[n]?)\b",
        _last_count,
    ),
    _Rule(rf"\b{_COUNT}\sdays?\sago\b", _days_ago),
    _Rule(rf"\bvor\s{_COUNT}\stagen\b", _days_ago),
    _Rule(r"\b(?:vorgestern|(?:the\s)?day\sbefore\syesterday)\b", _days_back(2)),
    _Rule(r"\b(?:yesterday(?:'?s)?|gestern|gestrige[nmrs]?|yday)\b", _days_back(1)),
    _Rule(r"\b(?:today(?:'?s)?|heute|heut|heutige[nmrs]?)\b", _today),
    _Rule(
        rf"\b(?:{_THIS}\s(?:week|woche)|week\sto\sdate|wochenbeginn|wochenanfang"
        r"|anfang\sder\swoche|(?:the\s)?(?:start|beginning)\sof\s(?:the|this)\sweek)\b",
        _this_week,
    ),
    _Rule(rf"\b(?:{_LAST}\s(?:week|woche)|vorwoche|the\sweek\sbefore)\b", _last_week),
    _Rule(
        rf"\b(?:{_THIS}\s(?:month|monat)|month\sto\sdate|mtd|monatsanfang|monatsbeginn"
        r"|(?:anfang|beginn)\sdes\smonats|(?:the\s)?(?:start|beginning)\sof\s(?:the|this)\smonth)"
        r"\b",
        _this_month,
    ),
    _Rule(rf"\b(?:{_LAST}\s(?:month|monat)|vormonat|the\smonth\sbefore)\b", _last_month),
    _Rule(
        rf"\b(?:{_THIS}\s(?:year|jahr)|heuer|year\sto\sdate|ytd|jahresanfang|jahresbeginn"
        r"|(?:anfang|beginn)\sdes\sjahres|(?:the\s)?(?:start|beginning)\sof\s(?:the|this)\syear)"
        r"\b",
        _this_year,
    ),
    _Rule(rf"\b(?:{_LAST}\s(?:year|jahr)|vorjahr(?:es)?|the\syear\sbefore)\b", _last_year),
    _Rule(rf"\b{_THIS}\s(?:quarter|quartal)\b", _this_quarter),
    _Rule(rf"\b(?:{_LAST}\s(?:quarter|quartal)|vorquartal)\b", _last_quarter),
    _Rule(rf"\bq(?P<quarter>[1-4])(?:\s?{_YEAR})?\b", _named_quarter),
    _Rule(
        rf"\b(?:(?:over|on|at|during|am)\s)?(?:(?:the|this|{_LAST}|{_THIS})\s)?"
        r"(?:weekend|wochenende)\b",
        _weekend,
    ),
    _Rule(
        r"\b(?:(?:im\s)?jahre?|in\sthe\syear|year|in|im|for|fur|during|wahrend)\s"
        rf"{_YEAR}\b",
        _year,
    ),
    _Rule(
        rf"\b(?:(?P<modifier>{_LAST}|{_THIS}|am|on)\s)?(?P<weekday>{trie_pattern(_WEEKDAYS)})\b",
        _weekday,
    ),
    _Rule(rf"\b(?:(?P<modifier>{_LAST}|{_THIS})\s)?{_MONTH}(?![a-z])", _named_month),
)


def _without_group_names(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


_RULE_RES: Final = tuple(re.compile(rule.pattern) for rule in _RULES)
_ANY_RULE_RE: Final = re.compile(
    "|".join(
        f"(?P<rule{index}>{_without_group_names(rule.pattern)})"
        for index, rule in enumerate(_RULES)
    )
)
_WORD_RE: Final = re.compile(r"\b[a-z0-9]+")
_SINCE_RE: Final = re.compile(
    r"(?:since|seit|ab|starting(?:\s(?:from|on|with))?|beginning|as\sof)\s"
    r"(?:(?:dem|den|der|the|am|on)\s)?$"
)
_FROM_DATE_RE: Final = re.compile(r"from\s(?:the\s)?$")
_FROM_RE: Final = re.compile(r"(?:from|vom|von|between|zwischen)\s(?:(?:dem|den|der|the)\s)?$")
_RANGE_JOIN_RE: Final = re.compile(
    r"\s?(?:-|to|until|till|through|thru|bis(?:\s(?:zum|zur|einschliesslich|inklusive|ende))?"
    r"|and|und)\s?(?:(?:dem|den|der|the)\s)?"
)


@dataclass(frozen=True, slots=True)
class _Found:
    date_from: date
    date_to: date
    start: int
    end: int
    is_date: bool


def _inflected(stems: str) -> frozenset[str]:
    return frozenset(stem + ending for stem in stems.split() for ending in ("", "n", "m", "r", "s"))


# The words a rule can begin with (besides digits and number words). Trying the rules only
# where one of them stands, instead of at every character, makes the search several times
# faster; the tests of every rule keep this list complete.
_STARTERS: Final = (
    frozenset(_MONTH_BY_NAME)
    | frozenset(_WEEKDAYS)
    | _inflected("letzte vergangene vorige vorherige diese aktuelle laufende heutige gestrige")
    | shadow_words(
        "last previous past prior this current vom from between zwischen the dem den der die "
        "in im within over during for für innerhalb während vor vorgestern day yesterday "
        "gestern yday today heute heut week wochenbeginn wochenanfang anfang beginn start "
        "beginning vorwoche month mtd monatsanfang monatsbeginn vormonat year ytd heuer "
        "jahresanfang jahresbeginn vorjahr vorjahres vorquartal q1 q2 q3 q4 on at am weekend "
        "wochenende jahr jahre"
    )
)


def _rule_matches(folded: str) -> Iterator[re.Match[str]]:
    """Like ``_ANY_RULE_RE.finditer``, but tried only where a word that can begin a rule
    starts."""
    resume = 0
    for word in _WORD_RE.finditer(folded):
        if word.start() < resume:
            continue
        written = word.group()
        if not (written[0].isdigit() or written in _STARTERS or is_number_word(written)):
            continue
        match = _ANY_RULE_RE.match(folded, word.start())
        if match is not None:
            resume = match.end()
            yield match


def _base_periods(context: _Context) -> list[_Found]:
    found: list[_Found] = []
    for match in _rule_matches(context.folded):
        name = match.lastgroup
        if name is None:  # pragma: no cover - every alternative is a named group
            continue
        index = int(name.removeprefix("rule"))
        rule = _RULES[index]
        detail = _RULE_RES[index].fullmatch(context.folded, match.start(), match.end())
        if detail is None:  # pragma: no cover - the same pattern matched just now
            continue
        resolved = rule.resolve(detail, context)
        if resolved is not None:
            found.append(_Found(*resolved, match.start(), match.end(), rule.is_date))
    return found


def _combined(found: list[_Found], context: _Context) -> PeriodMatch | None:
    if not found:
        return None
    first = found[0]
    folded = context.folded
    lookback = max(0, first.start - 30)
    if len(found) > 1:
        second = found[1]
        join = _RANGE_JOIN_RE.fullmatch(folded, first.end, second.start)
        opener = _FROM_RE.search(folded, lookback, first.start)
        if join is not None and (opener is not None or join.group().strip() not in ("and", "und")):
            date_from = first.date_from
            if date_from > second.date_to:
                date_from = _shift_months(date_from, -12)
            start = opener.start() if opener is not None else first.start
            return PeriodMatch(date_from, second.date_to, start, second.end)
    since = _SINCE_RE.search(folded, lookback, first.start)
    if since is None and first.is_date:
        since = _FROM_DATE_RE.search(folded, lookback, first.start)
    if since is not None:
        return PeriodMatch(first.date_from, context.today, since.start(), first.end)
    return PeriodMatch(first.date_from, first.date_to, first.start, first.end)


def year_period(year: int, today: date, start: int, end: int) -> PeriodMatch:
    """The calendar year ``year`` as a period, ending today at the latest."""
    return PeriodMatch(*_until_today(date(year, 1, 1), date(year, 12, 31), today), start, end)


def _plain(key: str) -> str:
    """A folded word with umlaut spellings flattened, to compare with the trigger words."""
    return key.replace("ae", "a").replace("oe", "o").replace("ue", "u").replace("ss", "s")


# Every period names one of these words or holds a digit; an utterance without any cannot
# name a period, which spares the patterns for most utterances.
_TRIGGERS: Final = frozenset(
    _plain(word)
    for word in (
        *_MONTH_BY_NAME,
        *_WEEKDAYS,
        *shadow_words(
            "today todays heute heut heutigen heutige heutiger heutiges heutigem yesterday "
            "yesterdays gestern gestrige gestrigen gestriger gestriges gestrigem vorgestern yday "
            "week weeks woche wochen month months monat monate monaten monats year years jahr "
            "jahre jahren jahres jahrs heuer ytd mtd quarter quartal weekend wochenende "
            "vormonat vorjahr vorjahres vorwoche vorquartal jahresanfang jahresbeginn "
            "monatsanfang monatsbeginn wochenbeginn wochenanfang day days tag tage tagen "
            "q1 q2 q3 q4"
        ),
    )
)


def _may_name_a_period(text: str, tokens: Sequence[Token]) -> bool:
    return has_digit(text) or any(_plain(token.key) in _TRIGGERS for token in tokens)


def find_period(
    text: str, language: Language, today: date, *, tokens: Sequence[Token] | None = None
) -> PeriodMatch | None:
    """The period ``text`` names, resolved relative to ``today``, or None. A period that would
    end before it starts ("since" a day still to come) is none."""
    if not _may_name_a_period(text, tokenize(text) if tokens is None else tokens):
        return None
    context = _Context(text, shadow(text), today, language)
    found = _combined(_base_periods(context), context)
    if found is None or found.date_from > found.date_to:
        return None
    return found
