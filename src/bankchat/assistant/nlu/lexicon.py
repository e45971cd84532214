"""Word lists of the NLU and how they are matched: merchants, spending categories (with their
German and English synonyms), account types and bank names.

Matching runs over the utterance's tokens, longest phrase first, case-, umlaut- and
apostrophe-insensitively ("mcdonalds", "McDonald's"; "Lebensmitteleinkäufe",
"lebensmitteleinkaeufe"; "Media Markt", "MediaMarkt"). Merchants and banks come back as written
in the utterance, categories and account types as their contract values. A longer phrase wins
over the words inside it: "Deutsche Bahn" is a merchant, not the category "Bahn"; "gas bill" is
utilities, not fuel. Words that mean something else in ordinary text ("Target", "Shell",
"Apple", "netto") count only when written with a capital letter.

German compounds reach a category through their first part ("Stromrechnung",
"Tankfüllung", "Supermarkteinkäufe"), Sparkassen through their last ("Stadtsparkasse").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from bankchat.assistant.nlu.intents import AccountType, Category
from bankchat.assistant.nlu.text import (
    Token,
    compact,
    fold,
    fold_variants,
    folded_words,
    overlaps,
    word_run,
)
from bankchat.language import Language


class LexiconKind(StrEnum):
    """Which entity a lexicon phrase is."""

    MERCHANT = "merchant"
    CATEGORY = "category"
    ACCOUNT_TYPE = "account_type"
    BANK = "bank"


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    """A lexicon phrase found in an utterance.

    ``value`` is the contract value: the category or account type, or for merchants and banks
    the phrase as written (``text``)."""

    kind: LexiconKind
    value: str
    text: str
    start: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: LexiconKind
    value: str  # empty for merchants and banks: they are returned as written
    languages: frozenset[Language]  # empty: any language
    capital_in: frozenset[Language] = frozenset()  # where only a capitalised form counts


def _forms(phrases: str) -> tuple[str, ...]:
    """Phrases separated by "|", so word lists read like lists."""
    return tuple(phrase.strip() for phrase in phrases.split("|") if phrase.strip())


# --- categories ---------------------------------------------------------------------------

_CATEGORY_PHRASES: Final[dict[Category, str]] = {
    Category.GROCERIES: (
        "Lebensmittel|Lebensmitteln|Lebensmitteleinkauf|Lebensmitteleinkäufe|Einkäufe|Einkäufen"
        "|Einkauf|Wocheneinkauf|Wocheneinkäufe|Supermarkt|Supermärkte|Supermärkten|Supermarkts"
        "|Discounter|Nahrungsmittel|Lebensmittelladen|groceries|grocery|grocery shopping"
        "|food shopping|supermarket|supermarkets|grocery store|grocery stores|food store"
    ),
    Category.RESTAURANTS: (
        "Restaurant|Restaurants|Restaurantbesuch|Restaurantbesuche|essen gehen|Essengehen"
        "|auswärts essen|Essen|Lieferdienst|Lieferdienste|Lieferdiensten|Essenslieferung"
        "|Essenslieferungen|Imbiss|Café|Cafés|Kantine|Mittagessen|Abendessen|Gastronomie"
        "|eating out|eat out|dining|dining out|takeaway|takeaways|take-away|takeout|take-out"
        "|food delivery|food|fast food|cafe|cafes|coffee shops|coffee|lunch|lunches|dinner"
        "|dinners|bars|restaurant bills"
    ),
    Category.TRANSPORT: (
        "Tanken|tanken|getankt|Tankstelle|Tankstellen|Sprit|Spritkosten|Benzin|Diesel"
        "|Kraftstoff|ÖPNV|OEPNV|Nahverkehr|öffentliche Verkehrsmittel|Öffis|Bahn|Bahnfahrten"
        "|Bahntickets|Zug|Züge|Zugtickets|Bus|Busse|Busfahrten|Taxi|Taxis|Taxifahrten|Fahrkarte"
        "|Fahrkarten|Monatskarte|Deutschlandticket|Parken|Parkgebühren|Parkhaus|Mobilität"
        "|Fahrtkosten|Uber-Fahrten|Uberfahrten|Carsharing|Maut|transport|transportation|fuel"
        "|gasoline|petrol|gas station|gas stations|transit|public transport|public transit"
        "|commute|commuting|train|trains|train tickets|subway|metro|taxi rides|cab|cabs"
        "|rideshare|ride share|ride-sharing|rides|Uber rides|Lyft rides|Uber trips|parking|tolls"
    ),
    Category.SHOPPING: (
        "Shopping|Kleidung|Klamotten|Mode|Elektronik|Onlineshopping|Online-Shopping"
        "|Onlinekäufe|Schuhe|shopping|clothes|clothing|fashion|electronics|online shopping"
        "|retail|shoes|online purchases"
    ),
    Category.ENTERTAINMENT: (
        "Unterhaltung|Streaming|Streamingdienste|Streaming-Dienste|Kino|Kinobesuche|Kinokarten"
        "|Freizeit|Freizeitaktivitäten|Konzert|Konzerte|Spiele|Games|Gaming|Hobby|Hobbys"
        "|Theater|Musik|Veranstaltungen|entertainment|streaming services|movies|cinema"
        "|movie theater|concerts|concert tickets|leisure|video games|gaming|hobbies|music"
        "|events|going out"
    ),
    Category.TRAVEL: (
        "Reisen|Reise|Urlaub|Urlaube|Urlaubsreise|Ferien|Hotel|Hotels|Hotelkosten"
        "|Übernachtungen|Flug|Flüge|Flügen|Flugtickets|Ferienwohnung|Mietwagen|travel"
        "|travelling|traveling|trip|trips|vacation|vacations|holiday|holidays|hotel|hotels"
        "|flight|flights|airfare|plane tickets|accommodation|lodging|car rental|rental car"
    ),
    Category.UTILITIES: (
        "Nebenkosten|Strom|Stromrechnung|Stromkosten|Gasrechnung|Wasser|Wasserrechnung|Heizung"
        "|Heizkosten|Internet|Handyrechnung|Handyvertrag|Mobilfunk|Telefon|Telefonrechnung"
        "|Rundfunkbeitrag|GEZ|Energie|Energiekosten|utilities|utility|utility bills|electricity"
        "|electric bill|electricity bill|power bill|gas bill|gas and electricity"
        "|gas and electric|water bill|heating|internet bill|phone bill|cell phone|mobile phone"
        "|phone plan|broadband|energy bills"
    ),
    Category.RENT: (
        "Miete|Mieten|Mietzahlung|Mietzahlungen|Kaltmiete|Warmmiete|Hausgeld|rent|rent payment"
        "|rent payments|rental payment|housing"
    ),
    Category.HEALTH: (
        "Gesundheit|Apotheke|Apotheken|Medikamente|Arzt|Ärzte|Arztbesuch|Arztbesuche|Zahnarzt"
        "|Krankenhaus|Physiotherapie|Fitnessstudio|health|healthcare|health care|pharmacy"
        "|pharmacies|medicine|medication|medications|doctor|doctors|dentist|hospital|medical"
        "|prescriptions|gym"
    ),
    Category.CASH: (
        "Bargeld|Bargeldabhebung|Bargeldabhebungen|Barabhebung|Barabhebungen|Abhebung"
        "|Abhebungen|Geldautomat|Geldautomaten|Bankautomat|cash|ATM|ATMs|cash withdrawal"
        "|cash withdrawals|withdrawal|withdrawals|cash machine"
    ),
    Category.INCOME: (
        "Gehalt|Gehälter|Lohn|Löhne|Einnahmen|Einkommen|Eingänge|Geldeingänge"
        "|Zahlungseingänge|Gutschriften|income|salary|salaries|paycheck|paychecks|wages|wage"
        "|earnings|incoming payments|payroll"
    ),
    Category.OTHER: (
        "Sonstiges|sonstige Ausgaben|Verschiedenes|miscellaneous|misc|other expenses"
        "|other spending|other category"
    ),
}
# Words whose category depends on the language: German "Gas" is heating gas, English "gas"
# is fuel; German "Handy" is a mobile phone.
_CATEGORY_BY_LANGUAGE: Final[tuple[tuple[str, Language, Category], ...]] = (
    ("Gas", "de", Category.UTILITIES),
    ("gas", "en", Category.TRANSPORT),
    ("Handy", "de", Category.UTILITIES),
)
# First parts of German compounds that name the category whatever follows.
_CATEGORY_PREFIXES: Final[tuple[tuple[str, Category], ...]] = tuple(
    (fold(prefix), category)
    for category, prefixes in {
        Category.GROCERIES: ("Lebensmittel", "Supermarkt"),
        Category.RESTAURANTS: ("Restaurant", "Lieferdienst"),
        Category.TRANSPORT: ("Tank", "Sprit", "Benzin", "Taxi", "Bahn", "Fahrkarte"),
        Category.ENTERTAINMENT: ("Kino", "Streaming", "Konzert"),
        Category.TRAVEL: ("Hotel", "Flug", "Urlaub", "Reise"),
        Category.UTILITIES: ("Strom", "Handy", "Internet", "Heiz", "Nebenkosten"),
        Category.RENT: ("Miet",),
        Category.HEALTH: ("Apotheke", "Arzt", "Zahnarzt"),
        Category.CASH: ("Bargeld", "Geldautomat"),
        Category.INCOME: ("Gehalt", "Lohn"),
    }.items()
    for prefix in prefixes
)
# Last parts of German compounds ("Wocheneinkäufe", "Lebensmittelrechnung" is caught first).
_CATEGORY_SUFFIXES: Final[tuple[tuple[str, Category], ...]] = tuple(
    (fold(suffix), category)
    for suffix, category in (
        ("einkäufe", Category.GROCERIES),
        ("einkauf", Category.GROCERIES),
        ("miete", Category.RENT),
        ("gehalt", Category.INCOME),
        ("tickets", Category.TRAVEL),
    )
)

# --- account types ------------------------------------------------------------------------

_ACCOUNT_TYPE_PHRASES: Final[dict[AccountType, str]] = {
    AccountType.CHECKING: (
        "Girokonto|Girokontos|Girokonten|Giro|Gehaltskonto|Kontokorrent|Kontokorrentkonto"
        "|checking|checking account|checking accounts|current account|current accounts"
        "|chequing account"
    ),
    AccountType.SAVINGS: (
        "Sparkonto|Sparkontos|Sparkonten|Tagesgeld|Tagesgeldkonto|Tagesgeldkontos|Festgeld"
        "|Festgeldkonto|Sparbuch|Ersparnisse|Erspartes|savings|savings account"
        "|savings accounts|saving account|high-yield savings|deposit account"
    ),
    AccountType.CREDIT_CARD: (
        "Kreditkarte|Kreditkarten|Kreditkartenkonto|Kreditkartenabrechnung|Visa|Visa-Karte"
        "|Visakarte|Mastercard|Amex|American Express|credit card|credit cards"
        "|credit card account"
    ),
}

# --- merchants ----------------------------------------------------------------------------

_MERCHANTS: Final = _forms(
    "REWE|REWE to go|EDEKA|Aldi|Aldi Süd|Aldi Nord|Lidl|Kaufland|Penny|Tegut|Globus|Norma"
    "|dm|dm-drogerie markt|Rossmann|Amazon|Amazon Prime|Amazon Prime Video|Amazon Marketplace"
    "|Zalando|eBay|Otto|MediaMarkt|Media Markt|Saturn|IKEA|H&M|Primark|C&A|Zara|Deichmann"
    "|Douglas|Thalia|Tchibo|Apple|Apple Store|App Store|iTunes|Google|Google Play|Microsoft"
    "|Netflix|Spotify|Disney+|Disney Plus|DAZN|Sky|YouTube|YouTube Premium|Audible|Steam"
    "|PlayStation Store|Nintendo|Aral|Shell|Esso|Deutsche Bahn|Deutschen Bahn|DB|BVG|MVG|HVV"
    "|Lufthansa"
    "|Ryanair|Eurowings|easyJet|Condor|FlixBus|FlixTrain|Uber|Uber Eats|Lyft|Bolt|FreeNow"
    "|Free Now|Starbucks|McDonald's|McDonalds|Burger King|KFC|Subway|Domino's|Vapiano"
    "|Lieferando|Wolt|Deliveroo|DoorDash|Grubhub|Walmart|Target|Costco|Kroger|Trader Joe's"
    "|Whole Foods|Safeway|Publix|Best Buy|Home Depot|Lowe's|CVS|Walgreens|Rite Aid"
    "|Booking.com|Booking|Airbnb|Expedia|Hotels.com|PayPal|Klarna|Vodafone|Telekom|O2|1&1"
    "|Congstar|Vattenfall|E.ON|EnBW|Verizon|AT&T|T-Mobile|Comcast|Xfinity|Chipotle|Dunkin"
    "|Dunkin' Donuts|Taco Bell|Wendy's|Etsy|Shein|Temu|AliExpress|Decathlon|OBI|Hornbach"
    "|Bauhaus|Fressnapf|Netto|Lidl Plus|Nespresso|Apple Music|Apple TV|Prime Video|Hulu"
    "|HBO Max|Paramount+"
)
# Merchants that are also ordinary words or first names: matched only with a capital letter.
_CAPITALISED_MERCHANTS: Final = folded_words(
    "Target Shell Apple Steam Otto Penny Saturn Booking Bauhaus OBI Douglas Zara Sky Bolt "
    "Subway Netto Globus Norma"
)
# Lower-case "uber" in German is "über" typed without the umlaut.
_CAPITALISED_IN_GERMAN: Final = folded_words("Uber")
# First names that are also merchants: followed by a capitalised word they are a person.
_PERSON_FIRST: Final = folded_words("Otto Penny")

# --- banks --------------------------------------------------------------------------------

_BANKS: Final = _forms(
    "Sparkasse|Sparkassen|Haspa|Volksbank|Volksbanken|Raiffeisenbank|Raiffeisen|VR-Bank"
    "|VR Bank|Volks- und Raiffeisenbank|Deutsche Bank|Deutschen Bank|Commerzbank|Postbank"
    "|ING|ING-DiBa|DiBa|DKB|Deutsche Kreditbank|N26|comdirect|Consorsbank|HypoVereinsbank"
    "|HVB|UniCredit|Targobank|Santander|Norisbank|Sparda-Bank|Sparda|PSD Bank|GLS Bank"
    "|1822direkt|BW-Bank|LBB|Revolut|bunq|Vivid|Trade Republic|C24|Tomorrow|Openbank"
    "|Chase|JPMorgan Chase|JP Morgan|Bank of America|BofA|Wells Fargo|Citi|Citibank"
    "|Capital One|U.S. Bank|US Bank|PNC|TD Bank|Truist|Ally|Ally Bank|Discover"
    "|Charles Schwab|Barclays|HSBC|Lloyds|NatWest|Monzo|Starling|UBS|PostFinance"
    "|Erste Bank|Bank Austria|BAWAG|Wise|BBBank|apoBank|Triodos|Oldenburgische Landesbank"
    "|Hamburger Sparkasse|Berliner Sparkasse|Kreissparkasse|Stadtsparkasse"
    "|Citizens Bank|Fifth Third|KeyBank|Regions|Huntington|M&T Bank|Navy Federal|USAA"
    "|Schwab|Goldman Sachs|SoFi|Chime|Varo|Synchrony|Halifax|Nationwide|TSB"
    "|Metro Bank|First Direct|RBS|Royal Bank of Scotland|Bank of Scotland|Standard Chartered"
    "|Santander UK|Raiffeisen Bank|Sparkasse Bank|Volksbank Raiffeisenbank|Netbank"
)
_CAPITALISED_BANKS: Final = folded_words(
    "ING Chase Ally Discover Tomorrow Wise Vivid Citi Regions Chime Nationwide Halifax"
)
_BANK_SUFFIXES: Final = (fold("sparkasse"),)
_BANK_WORD: Final = "bank"

_MAX_PHRASE_TOKENS: Final = 4
_POSSESSIVE_RE: Final = re.compile(r"['’]s$")


def _phrase_keys(phrase: str) -> frozenset[str]:
    return frozenset(compact(key) for key in fold_variants(phrase))


def _build_index() -> dict[str, tuple[_Entry, ...]]:
    index: dict[str, list[_Entry]] = {}

    def add(phrase: str, entry: _Entry) -> None:
        for key in _phrase_keys(phrase):
            index.setdefault(key, []).append(entry)

    no_language: frozenset[Language] = frozenset()
    both: frozenset[Language] = frozenset({"de", "en"})
    for category, phrases in _CATEGORY_PHRASES.items():
        for phrase in _forms(phrases):
            add(phrase, _Entry(LexiconKind.CATEGORY, category.value, no_language))
    for phrase, language, category in _CATEGORY_BY_LANGUAGE:
        add(phrase, _Entry(LexiconKind.CATEGORY, category.value, frozenset({language})))
    for account_type, phrases in _ACCOUNT_TYPE_PHRASES.items():
        for phrase in _forms(phrases):
            add(phrase, _Entry(LexiconKind.ACCOUNT_TYPE, account_type.value, no_language))
    for phrase in _MERCHANTS:
        key = fold(phrase)
        capital = both if key in _CAPITALISED_MERCHANTS else no_language
        if key in _CAPITALISED_IN_GERMAN:
            capital = frozenset({"de"})
        add(phrase, _Entry(LexiconKind.MERCHANT, "", no_language, capital))
    for phrase in _BANKS:
        capital = both if fold(phrase) in _CAPITALISED_BANKS else no_language
        add(phrase, _Entry(LexiconKind.BANK, "", no_language, capital))
    return {key: tuple(entries) for key, entries in index.items()}


_INDEX: Final = _build_index()


def _prefixes(keys: Iterable[str]) -> frozenset[str]:
    return frozenset(key[:end] for key in keys for end in range(1, len(key) + 1))


_PREFIXES: Final = _prefixes(_INDEX)

# Compound parts, grouped by their first letters so a word is compared with few of them.
_HEAD: Final = 4
_COMPOUND_BANK: Final = _Entry(LexiconKind.BANK, "", frozenset())


def _prefix_entries() -> dict[str, tuple[tuple[str, _Entry], ...]]:
    grouped: dict[str, list[tuple[str, _Entry]]] = {}
    for prefix, category in _CATEGORY_PREFIXES:
        if len(prefix) < _HEAD:
            raise ValueError(f"compound part {prefix!r} is shorter than {_HEAD} letters")
        entry = _Entry(LexiconKind.CATEGORY, category.value, frozenset())
        grouped.setdefault(prefix[:_HEAD], []).append((prefix, entry))
    return {head: tuple(entries) for head, entries in grouped.items()}


_PREFIX_ENTRIES: Final = _prefix_entries()
_SUFFIX_ENTRIES: Final = tuple(
    (suffix, _Entry(LexiconKind.CATEGORY, category.value, frozenset()))
    for suffix, category in _CATEGORY_SUFFIXES
)
_SUFFIX_ENDINGS: Final = tuple(suffix for suffix, _ in _CATEGORY_SUFFIXES)


@dataclass(frozen=True, slots=True)
class _Registry:
    """The registry's bank names, keyed like the built-in lexicon."""

    entries: dict[str, _Entry]
    prefixes: frozenset[str]


@lru_cache(maxsize=64)
def _registry_index(banks: tuple[str, ...]) -> _Registry:
    """Keys of the registry's bank names: the whole name, the name without the word "Bank"
    ("Kranich Bank" and "Kranich", "Lindenbank" and "Linden") and, for a name of several
    words, its first word alone or with "Bank" ("Prairie", "Prairie Bank")."""
    entry = _Entry(LexiconKind.BANK, "", frozenset())
    index: dict[str, _Entry] = {}
    for name in banks:
        for variant in fold_variants(name):
            for key in _registry_keys(variant):
                index.setdefault(key, entry)
    return _Registry(index, _prefixes(index))


def _registry_keys(folded_name: str) -> list[str]:
    words = folded_name.replace("-", " ").split()
    if not words:
        return []
    core = words[:-1] if len(words) > 1 and words[-1] == _BANK_WORD else words
    if len(core) == 1 and core[0].endswith(_BANK_WORD):
        core = [core[0].removesuffix(_BANK_WORD)]
    keys = ["".join(words)]
    if len("".join(core)) >= 3:
        keys.append("".join(core))
    if len(core) > 1 and len(core[0]) >= 4:
        keys += [core[0], core[0] + _BANK_WORD]
    return keys


def _choose(entries: Sequence[_Entry], language: Language, first: Token) -> _Entry | None:
    usable = [
        entry for entry in entries if language not in entry.capital_in or first.is_capitalised
    ]
    for entry in usable:
        if language in entry.languages:
            return entry
    for entry in usable:
        if not entry.languages:
            return entry
    return None


def _lookup(
    key: str, language: Language, first: Token, registry: dict[str, _Entry]
) -> _Entry | None:
    if key in registry:
        return registry[key]
    entries = _INDEX.get(key)
    return None if entries is None else _choose(entries, language, first)


def _compound(token: Token) -> _Entry | None:
    key = token.key
    if len(key) < 6 or not key.isalpha():
        return None
    if key.endswith(_BANK_SUFFIXES) and key not in _BANK_SUFFIXES:
        return _COMPOUND_BANK
    for prefix, entry in _PREFIX_ENTRIES.get(key[:_HEAD], ()):
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            return entry
    if key.endswith(_SUFFIX_ENDINGS):
        for suffix, entry in _SUFFIX_ENTRIES:
            if key.endswith(suffix) and len(key) > len(suffix) + 2:
                return entry
    return None


def _longest_at(
    tokens: Sequence[Token],
    keys: Sequence[str],
    index: int,
    language: Language,
    registry: _Registry,
) -> tuple[_Entry | None, int, bool]:
    """The longest phrase starting at token ``index``: its entry, how many tokens it spans,
    and whether it was found as a possessive or plural ("Amazon's")."""
    best: _Entry | None = None
    best_length = 0
    key = ""
    for length in range(1, min(_MAX_PHRASE_TOKENS, len(tokens) - index) + 1):
        key += keys[index + length - 1]
        if key not in _PREFIXES and key not in registry.prefixes:
            break
        entry = _lookup(key, language, tokens[index], registry.entries)
        if entry is not None:
            best, best_length = entry, length
    if best is not None:
        return best, best_length, False
    first = keys[index]
    if first.endswith("s"):
        entry = _lookup(first[:-1], language, tokens[index], registry.entries)
        if entry is not None and entry.kind is LexiconKind.MERCHANT:
            return entry, 1, True
    return _compound(tokens[index]), 1, False


def find_lexicon_matches(
    text: str,
    tokens: Sequence[Token],
    language: Language,
    banks: Sequence[str] = (),
) -> list[LexiconMatch]:
    """Every lexicon phrase in the utterance, left to right, the longest at each place."""
    registry = _registry_index(tuple(banks))
    keys = [compact(token.key) for token in tokens]
    found: list[LexiconMatch] = []
    index = 0
    while index < len(tokens):
        entry, length, possessive = _longest_at(tokens, keys, index, language, registry)
        if entry is not None:
            last = tokens[index + length - 1]
            if entry.kind is LexiconKind.BANK and index + length < len(tokens):
                following = tokens[index + length]
                if following.key == _BANK_WORD and not last.key.endswith(_BANK_WORD):
                    last = following
                    length += 1
            start, end = tokens[index].start, last.end
            if possessive and _POSSESSIVE_RE.search(text, start, end):
                end -= 2
            written = text[start:end]
            if not (entry.kind is LexiconKind.MERCHANT and _is_person(tokens, index, length)):
                found.append(LexiconMatch(entry.kind, entry.value or written, written, start, end))
        index += length
    return found


def _is_person(tokens: Sequence[Token], index: int, length: int) -> bool:
    """ "Max" or "Otto" followed by a capitalised word is a person's name ("Max Müller")."""
    if length != 1 or tokens[index].key not in _PERSON_FIRST:
        return False
    return index + 1 < len(tokens) and tokens[index + 1].is_capitalised


def first_of(matches: Iterable[LexiconMatch], kind: LexiconKind) -> LexiconMatch | None:
    """The first match of one kind."""
    return next((match for match in matches if match.kind is kind), None)


# --- merchants not in the list ------------------------------------------------------------

_MERCHANT_OPENERS: Final = folded_words("at bei from von an")
_ARTICLES: Final = folded_words("the der dem den die")
# Capitalised words after "bei"/"at" that are not shops: German nouns of banking and time,
# pronouns, and what people pay with or receive from.
_NOT_MERCHANTS: Final = folded_words(
    "Konto Konten Karte Bank Banken Geld Überweisung Überweisungen Zahlung Zahlungen Umsatz "
    "Umsätze Ausgaben Buchung Buchungen Abbuchung Abbuchungen Lastschrift Lastschriften "
    "Transaktion Transaktionen Monat Woche Jahr Tag Anfang Ende Freunde Freunden Familie "
    "Arbeit Arbeitgeber Hause Zuhause Mama Papa Mutter Vater Ich Mir Mich Sie Ihnen Euch Uns "
    "I Me My Work Home Account Card Money Transactions Payments Purchases Charges Online "
    "Internet Mein Meinem Meiner Meine Beginn Start Moment All Any Some"
)
_MAX_MERCHANT_WORDS: Final = 3


def find_unknown_merchant(
    text: str, tokens: Sequence[Token], blocked: Sequence[tuple[int, int]]
) -> LexiconMatch | None:
    """A capitalised name after "at", "bei", "from", "von" or "an" that no other entity took
    ("bei Bäckerei Schmidt", "at Joe's Diner")."""
    for index, token in enumerate(tokens):
        if token.key not in _MERCHANT_OPENERS:
            continue
        first = index + 1
        while first < len(tokens) and tokens[first].key in _ARTICLES:
            first += 1
        end = word_run(
            text, tokens, first, _MAX_MERCHANT_WORDS, lambda word: _could_be_merchant(word, blocked)
        )
        if end > first:
            start, stop = tokens[first].start, tokens[end - 1].end
            written = text[start:stop]
            return LexiconMatch(LexiconKind.MERCHANT, written, written, start, stop)
    return None


def _could_be_merchant(token: Token, blocked: Sequence[tuple[int, int]]) -> bool:
    return (
        token.is_capitalised
        and token.key not in _NOT_MERCHANTS
        and any(character.isalpha() for character in token.text)
        and not overlaps(token.start, token.end, blocked)
    )
