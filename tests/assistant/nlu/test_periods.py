"""Periods resolved by DESIGN.md's rules, German and English, relative to a given today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from hypothesis import assume, given
from hypothesis import strategies as st

from bankchat.assistant.nlu.periods import _MONTH_NAMES, find_period
from bankchat.language import Language

TODAY = date(2026, 11, 23)  # a Monday


def _period(text: str, language: Language, today: date = TODAY) -> tuple[str, str] | None:
    found = find_period(text, language, today)
    return None if found is None else (found.date_from.isoformat(), found.date_to.isoformat())


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("today", "en", ("2026-11-23", "2026-11-23")),
        ("heute", "de", ("2026-11-23", "2026-11-23")),
        ("yesterday", "en", ("2026-11-22", "2026-11-22")),
        ("gestern", "de", ("2026-11-22", "2026-11-22")),
        ("vorgestern", "de", ("2026-11-21", "2026-11-21")),
        ("the day before yesterday", "en", ("2026-11-21", "2026-11-21")),
        ("3 days ago", "en", ("2026-11-20", "2026-11-20")),
        ("vor 3 Tagen", "de", ("2026-11-20", "2026-11-20")),
    ],
)
def test_single_days_resolve_relative_to_today(
    text: str, language: Language, expected: tuple[str, str]
) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("this week", "en", ("2026-11-23", "2026-11-23")),
        ("diese Woche", "de", ("2026-11-23", "2026-11-23")),
        ("last week", "en", ("2026-11-16", "2026-11-22")),
        ("letzte Woche", "de", ("2026-11-16", "2026-11-22")),
        ("vergangene Woche", "de", ("2026-11-16", "2026-11-22")),
        ("in der vorigen Woche", "de", ("2026-11-16", "2026-11-22")),
        ("Vorwoche", "de", ("2026-11-16", "2026-11-22")),
        ("this month", "en", ("2026-11-01", "2026-11-23")),
        ("diesen Monat", "de", ("2026-11-01", "2026-11-23")),
        ("im aktuellen Monat", "de", ("2026-11-01", "2026-11-23")),
        ("last month", "en", ("2026-10-01", "2026-10-31")),
        ("letzten Monat", "de", ("2026-10-01", "2026-10-31")),
        ("im Vormonat", "de", ("2026-10-01", "2026-10-31")),
        ("vorigen Monat", "de", ("2026-10-01", "2026-10-31")),
        ("this year", "en", ("2026-01-01", "2026-11-23")),
        ("dieses Jahr", "de", ("2026-01-01", "2026-11-23")),
        ("heuer", "de", ("2026-01-01", "2026-11-23")),
        ("last year", "en", ("2025-01-01", "2025-12-31")),
        ("letztes Jahr", "de", ("2025-01-01", "2025-12-31")),
        ("im Vorjahr", "de", ("2025-01-01", "2025-12-31")),
        ("this quarter", "en", ("2026-10-01", "2026-11-23")),
        ("letztes Quartal", "de", ("2026-07-01", "2026-09-30")),
        ("Q1", "en", ("2026-01-01", "2026-03-31")),
    ],
)
def test_calendar_units_follow_the_contract(
    text: str, language: Language, expected: tuple[str, str]
) -> None:
    assert _period(text, language) == expected


def test_last_week_seen_from_a_sunday_is_the_week_before() -> None:
    assert _period("last week", "en", date(2026, 11, 29)) == ("2026-11-16", "2026-11-22")


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    assert _period("letzten Monat", "de", date(2027, 1, 15)) == ("2026-12-01", "2026-12-31")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("in March", "en", ("2026-03-01", "2026-03-31")),
        ("März", "de", ("2026-03-01", "2026-03-31")),
        ("Maerz", "de", ("2026-03-01", "2026-03-31")),
        ("im Marz", "de", ("2026-03-01", "2026-03-31")),
        ("Jänner", "de", ("2026-01-01", "2026-01-31")),
        ("in Jan", "en", ("2026-01-01", "2026-01-31")),
        ("Sept", "en", ("2026-09-01", "2026-09-30")),
        ("December", "en", ("2025-12-01", "2025-12-31")),
        ("November", "en", ("2026-11-01", "2026-11-23")),
        ("last November", "en", ("2025-11-01", "2025-11-30")),
        ("letzten Dezember", "de", ("2025-12-01", "2025-12-31")),
        ("spending in May", "en", ("2026-05-01", "2026-05-31")),
        ("March 2025", "en", ("2025-03-01", "2025-03-31")),
        ("März 2025", "de", ("2025-03-01", "2025-03-31")),
        ("Mar '25", "en", ("2025-03-01", "2025-03-31")),
        ("in 2025", "en", ("2025-01-01", "2025-12-31")),
        ("im Jahr 2026", "de", ("2026-01-01", "2026-11-23")),
    ],
)
def test_named_months_and_years_resolve(
    text: str, language: Language, expected: tuple[str, str]
) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("send Jan 20 euros", "en"),
        ("May I see my balance", "en"),
        ("Jan hat mir Geld geschickt", "de"),
        ("send 20 to April", "en"),
        ("what is the weather", "en"),
        ("Kontostand bitte", "de"),
    ],
)
def test_words_that_only_look_like_periods_are_not_periods(text: str, language: Language) -> None:
    assert find_period(text, language, TODAY) is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("since 3 March", "en", ("2026-03-03", "2026-11-23")),
        ("since March 3rd", "en", ("2026-03-03", "2026-11-23")),
        ("since the 3rd of March", "en", ("2026-03-03", "2026-11-23")),
        ("since 2026-03-03", "en", ("2026-03-03", "2026-11-23")),
        ("seit 03.03.2026", "de", ("2026-03-03", "2026-11-23")),
        ("seit 3.3.", "de", ("2026-03-03", "2026-11-23")),
        ("seit dem 3. März", "de", ("2026-03-03", "2026-11-23")),
        ("ab dem 1. Oktober", "de", ("2026-10-01", "2026-11-23")),
        ("since Monday", "en", ("2026-11-23", "2026-11-23")),
        ("seit Freitag", "de", ("2026-11-20", "2026-11-23")),
        ("since last month", "en", ("2026-10-01", "2026-11-23")),
        ("seit Januar", "de", ("2026-01-01", "2026-11-23")),
        ("seit Jahresbeginn", "de", ("2026-01-01", "2026-11-23")),
        ("since the start of the month", "en", ("2026-11-01", "2026-11-23")),
        ("from 1 October", "en", ("2026-10-01", "2026-11-23")),
        ("since December 24", "en", ("2025-12-24", "2026-11-23")),
    ],
)
def test_since_runs_from_the_date_to_today(
    text: str, language: Language, expected: tuple[str, str]
) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("on 3 March", "en", ("2026-03-03", "2026-03-03")),
        ("am 03.11.", "de", ("2026-11-03", "2026-11-03")),
        ("transactions from yesterday", "en", ("2026-11-22", "2026-11-22")),
        ("am Freitag", "de", ("2026-11-20", "2026-11-20")),
        ("last Monday", "en", ("2026-11-16", "2026-11-16")),
        ("Tuesday, March 3, 2026", "en", ("2026-03-03", "2026-03-03")),
        ("Dienstag, 3. März 2026", "de", ("2026-03-03", "2026-03-03")),
    ],
)
def test_a_date_is_that_day(text: str, language: Language, expected: tuple[str, str]) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("3/4/2026", "en", ("2026-03-04", "2026-03-04")),
        ("3/4/2026", "de", ("2026-04-03", "2026-04-03")),
        ("25/4/2026", "en", ("2026-04-25", "2026-04-25")),
        ("4/25/2026", "de", ("2026-04-25", "2026-04-25")),
    ],
)
def test_slashed_dates_follow_the_language_unless_only_one_order_fits(
    text: str, language: Language, expected: tuple[str, str]
) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("from January to March", "en", ("2026-01-01", "2026-03-31")),
        ("von Januar bis März", "de", ("2026-01-01", "2026-03-31")),
        ("between March and May", "en", ("2026-03-01", "2026-05-31")),
        ("vom 1. bis 15. März", "de", ("2026-03-01", "2026-03-15")),
        ("zwischen 1.3. und 15.3.", "de", ("2026-03-01", "2026-03-15")),
        ("from November to January", "en", ("2025-11-01", "2026-01-31")),
    ],
)
def test_ranges_run_from_the_first_start_to_the_second_end(
    text: str, language: Language, expected: tuple[str, str]
) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("last 7 days", "en", ("2026-11-17", "2026-11-23")),
        ("in den letzten 30 Tagen", "de", ("2026-10-25", "2026-11-23")),
        ("past 14 days", "en", ("2026-11-10", "2026-11-23")),
        ("die letzten sieben Tage", "de", ("2026-11-17", "2026-11-23")),
        ("last two weeks", "en", ("2026-11-10", "2026-11-23")),
        ("letzten 2 Wochen", "de", ("2026-11-10", "2026-11-23")),
        ("last 3 months", "en", ("2026-08-24", "2026-11-23")),
        ("in den letzten 12 Monaten", "de", ("2025-11-24", "2026-11-23")),
        ("past 2 years", "en", ("2024-11-24", "2026-11-23")),
    ],
)
def test_last_n_units_end_today(text: str, language: Language, expected: tuple[str, str]) -> None:
    assert _period(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "today", "expected"),
    [
        ("over the weekend", "en", TODAY, ("2026-11-21", "2026-11-22")),
        ("am Wochenende", "de", TODAY, ("2026-11-21", "2026-11-22")),
        ("am Wochenende", "de", date(2026, 11, 21), ("2026-11-21", "2026-11-21")),
    ],
)
def test_weekend_is_the_latest_saturday_and_sunday(
    text: str, language: Language, today: date, expected: tuple[str, str]
) -> None:
    assert _period(text, language, today) == expected


def test_period_span_cuts_the_utterance_as_written() -> None:
    text = "Was hab ich seit dem 3. März bei REWE ausgegeben"
    found = find_period(text, "de", TODAY)
    assert found is not None
    assert text[found.start : found.end] == "seit dem 3. März"


def test_period_json_has_iso_dates() -> None:
    found = find_period("letzten Monat", "de", TODAY)
    assert found is not None
    assert found.period.to_json() == {"from": "2026-10-01", "to": "2026-10-31"}


def test_since_a_day_still_to_come_is_no_period() -> None:
    assert find_period("since 2027-01-05", "en", TODAY) is None


def test_day_that_does_not_exist_is_no_period() -> None:
    assert find_period("seit 31.2.", "de", TODAY) is None


# --- properties ------------------------------------------------------------------------------

todays = st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31))
LAST_DAYS = [
    ("en", "last {n} days"),
    ("en", "in the past {n} days"),
    ("de", "letzten {n} Tage"),
    ("de", "in den letzten {n} Tagen"),
]


@given(todays, st.integers(min_value=1, max_value=999), st.sampled_from(LAST_DAYS))
def test_last_n_days_are_n_days_ending_today(
    today: date, count: int, phrase: tuple[Language, str]
) -> None:
    language, template = phrase
    found = find_period(template.format(n=count), language, today)
    assert found is not None
    assert found.date_to == today
    assert (found.date_to - found.date_from).days + 1 == count


ALL_MONTH_NAMES = [(name, month) for month, names in _MONTH_NAMES.items() for name in names]
WRITTEN_MONTHS = [
    *ALL_MONTH_NAMES,
    ("März", 3),
    ("Jänner", 1),
    ("MÄRZ", 3),
    ("Sept.", 9),
    ("Dez.", 12),
    ("Oct", 10),
]


@given(todays, st.sampled_from(WRITTEN_MONTHS), st.sampled_from(["in {m}", "im {m}"]))
def test_named_month_is_its_latest_occurrence_not_after_today(
    today: date, written: tuple[str, int], template: str
) -> None:
    name, month = written
    found = find_period(template.format(m=name), "de" if template == "im {m}" else "en", today)
    assert found is not None, name
    assert found.date_from.month == month
    assert found.date_from.day == 1
    assert found.date_from <= today
    months_back = (today.year * 12 + today.month) - (found.date_from.year * 12 + month)
    assert 0 <= months_back <= 11
    assert found.date_to == min(today, _month_end(found.date_from))


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


SINCE_FORMATS: list[tuple[str, Language, str, bool]] = [
    # (babel locale, language, format, the format writes the year)
    ("de_DE", "de", "short", True),
    ("de_DE", "de", "medium", True),
    ("de_DE", "de", "long", True),
    ("de_DE", "de", "full", True),
    ("de_DE", "de", "d. MMMM", False),
    ("de_DE", "de", "d. MMM", False),
    ("de_DE", "de", "dd.MM.", False),
    ("de_DE", "de", "yyyy-MM-dd", True),
    ("en_US", "en", "short", True),
    ("en_US", "en", "medium", True),
    ("en_US", "en", "long", True),
    ("en_US", "en", "full", True),
    ("en_US", "en", "MMMM d", False),
    ("en_US", "en", "MMM d", False),
    ("en_GB", "en", "medium", True),
    ("en_GB", "en", "long", True),
    ("en_GB", "en", "full", True),
    ("en_GB", "en", "d MMMM", False),
]


@given(todays, st.integers(min_value=0, max_value=3000), st.sampled_from(SINCE_FORMATS))
def test_since_a_babel_formatted_date_runs_from_it_to_today(
    today: date, days_back: int, form: tuple[str, Language, str, bool]
) -> None:
    locale, language, pattern, has_year = form
    since = today - timedelta(days=days_back)
    assume(since.year >= 2000 and (has_year or days_back < 365))
    written = format_date(since, pattern, locale=locale)
    text = f"seit {written}" if language == "de" else f"since {written}"
    found = find_period(text, language, today)
    assert found is not None, text
    assert (found.date_from, found.date_to) == (since, today), text
