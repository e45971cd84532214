"""German and English for the bank's own pages (SCA and online banking): the texts, the
choice of language, and amounts and dates formatted per locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

LANGUAGES = ("de", "en")
_LOCALES = {"de": "de_DE", "en": "en_US"}

_TEXTS: dict[str, dict[str, str]] = {
    "switch_to": {"de": "English", "en": "Deutsch"},
    "login_title": {"de": "Anmelden", "en": "Log in"},
    "login_intro_consent": {
        "de": "{app} möchte auf Ihre Kontodaten zugreifen. Bitte melden Sie sich an.",
        "en": "{app} would like to access your account data. Please log in.",
    },
    "login_intro_payment": {
        "de": "Bitte melden Sie sich an, um die Zahlung freizugeben.",
        "en": "Please log in to authorise the payment.",
    },
    "login_intro_banking": {
        "de": "Melden Sie sich an, um Ihre Freigaben für Apps zu sehen.",
        "en": "Log in to see the access you gave to apps.",
    },
    "login": {"de": "Anmeldename", "en": "Login name"},
    "password": {"de": "Passwort", "en": "Password"},
    "submit_login": {"de": "Anmelden", "en": "Log in"},
    "login_failed": {
        "de": "Anmeldung fehlgeschlagen. Bitte prüfen Sie Ihre Eingaben.",
        "en": "Login failed. Please check what you entered.",
    },
    "form_expired": {
        "de": "Das Formular ist abgelaufen. Bitte beginnen Sie erneut.",
        "en": "This form has expired. Please start again.",
    },
    "consent_title": {"de": "Zugriff freigeben", "en": "Grant access"},
    "consent_asks": {
        "de": "{app} bittet um Zugriff auf folgende Daten:",
        "en": "{app} asks to see the following data:",
    },
    "scope_accounts": {"de": "die Liste Ihrer Konten", "en": "the list of your accounts"},
    "scope_balances": {"de": "Kontostände", "en": "balances"},
    "scope_transactions": {"de": "Umsätze", "en": "transactions"},
    "until": {"de": "bis einschließlich {date}", "en": "until {date} (inclusive)"},
    "frequency": {
        "de": "höchstens {n}-mal am Tag ohne Ihr Zutun",
        "en": "at most {n} times a day without you being present",
    },
    "one_off": {"de": "einmalig", "en": "once"},
    "choose_accounts": {
        "de": "Für welche Konten geben Sie den Zugriff frei?",
        "en": "Which accounts do you give access to?",
    },
    "select_one": {
        "de": "Bitte wählen Sie mindestens ein Konto aus.",
        "en": "Please select at least one account.",
    },
    "approve": {"de": "Freigeben", "en": "Approve"},
    "deny": {"de": "Ablehnen", "en": "Deny"},
    "payment_title": {"de": "Zahlung freigeben", "en": "Authorise payment"},
    "from_account": {"de": "Von Konto", "en": "From account"},
    "creditor": {"de": "Empfänger", "en": "Payee"},
    "creditor_account": {"de": "Konto des Empfängers", "en": "Payee's account"},
    "amount": {"de": "Betrag", "en": "Amount"},
    "remittance": {"de": "Verwendungszweck", "en": "Reference"},
    "already_handled": {
        "de": "Diese Anfrage wurde bereits bearbeitet.",
        "en": "This request has already been handled.",
    },
    "unknown_request": {
        "de": "Diese Anfrage ist uns nicht bekannt.",
        "en": "We do not know this request.",
    },
    "not_your_accounts": {
        "de": "Diese Anfrage betrifft Konten, die nicht Ihnen gehören. Sie wurde nicht "
        "bearbeitet; bitte melden Sie sich mit dem Zugang des Kontoinhabers an.",
        "en": "This request is about accounts that are not yours. Nothing was changed; "
        "please log in with the account holder's login.",
    },
    "not_your_payment": {
        "de": "Diese Zahlung soll von einem Konto ausgeführt werden, das nicht Ihnen gehört. "
        "Sie wurde nicht bearbeitet; bitte melden Sie sich mit dem Zugang des Kontoinhabers an.",
        "en": "This payment is to be made from an account that is not yours. Nothing was "
        "changed; please log in with the account holder's login.",
    },
    "logged_out": {"de": "Sie sind abgemeldet.", "en": "You have logged out."},
    "banking_title": {"de": "Ihre Freigaben", "en": "Your app access"},
    "no_consents": {
        "de": "Sie haben noch keiner App Zugriff gegeben.",
        "en": "You have not given any app access yet.",
    },
    "col_app": {"de": "App", "en": "App"},
    "col_data": {"de": "Daten", "en": "Data"},
    "col_accounts": {"de": "Konten", "en": "Accounts"},
    "col_valid_until": {"de": "Gültig bis", "en": "Valid until"},
    "col_status": {"de": "Status", "en": "Status"},
    "col_action": {"de": "Aktion", "en": "Action"},
    "revoke": {"de": "Widerrufen", "en": "Revoke"},
    "revoked_notice": {
        "de": "Der Zugriff von {app} wurde widerrufen.",
        "en": "The access of {app} has been revoked.",
    },
    "logout": {"de": "Abmelden", "en": "Log out"},
    "status_received": {"de": "wartet auf Freigabe", "en": "waiting for approval"},
    "status_valid": {"de": "gültig", "en": "valid"},
    "status_rejected": {"de": "abgelehnt", "en": "denied"},
    "status_revokedByPsu": {"de": "von Ihnen widerrufen", "en": "revoked by you"},
    "status_expired": {"de": "abgelaufen", "en": "expired"},
    "status_terminatedByTpp": {"de": "von der App beendet", "en": "ended by the app"},
    # The demo app (demo_tpp.py), a stand-in for a third-party app.
    "demo_title": {"de": "bankchat Sandbox-Banken", "en": "bankchat sandbox banks"},
    "demo_intro": {
        "de": "Erfundene Banken, die Berlin Group NextGenPSD2 1.3.11 sprechen. Verbinden Sie "
        "die Demo-App mit einer davon: Sie melden sich auf der Seite der Bank mit einem "
        "Sandbox-Zugang an (bankchat sandbox customers listet sie), wählen Konten, geben frei "
        "und sehen danach, was die App lesen darf.",
        "en": "Fictional banks speaking Berlin Group NextGenPSD2 1.3.11. Connect the demo app "
        "to one of them: you log in on the bank's own page with a sandbox login (bankchat "
        "sandbox customers lists them), choose accounts, approve, and come back to see what "
        "the app may read.",
    },
    "demo_online_banking": {"de": "Online-Banking", "en": "Online banking"},
    "demo_connect": {"de": "Verbinden", "en": "Connect"},
    "demo_connect_label": {
        "de": "Die Demo-App mit {bank} verbinden",
        "en": "Connect the demo app to {bank}",
    },
    "demo_consent": {"de": "Einwilligung", "en": "Consent"},
    "demo_no_access": {
        "de": "Die Bank hat keinen Zugriff gewährt, die Demo-App kann nichts lesen.",
        "en": "The bank did not grant access, so the demo app can read nothing.",
    },
    "demo_start_again": {"de": "Neu beginnen", "en": "Start again"},
    "demo_balance": {"de": "Saldo", "en": "Balance"},
    "demo_amount": {"de": "Betrag", "en": "Amount"},
    "demo_balances_of": {"de": "Salden von {account}", "en": "Balances of {account}"},
    "demo_transactions_of": {"de": "Umsätze von {account}", "en": "Transactions of {account}"},
    "demo_latest": {"de": "Letzte Umsätze", "en": "Latest transactions"},
    "demo_date": {"de": "Datum", "en": "Date"},
    "demo_counterparty": {"de": "Gegenseite", "en": "Counterparty"},
    "demo_pending": {"de": "vorgemerkt", "en": "pending"},
    "demo_none": {
        "de": "Keine Umsätze in den letzten 30 Tagen.",
        "en": "No transactions in the last 30 days.",
    },
    "demo_back": {"de": "Zurück zu den Banken", "en": "Back to the banks"},
    "demo_error": {"de": "Das hat nicht geklappt", "en": "Something went wrong"},
    "demo_expired": {
        "de": "Dieser Link ist abgelaufen, bitte neu beginnen.",
        "en": "This link has expired; start again.",
    },
    "demo_unknown_bank": {"de": "Diese Bank gibt es nicht.", "en": "There is no such bank."},
    "balance_closingBooked": {"de": "Buchungssaldo (Vortag)", "en": "Booked (yesterday)"},
    "balance_expected": {"de": "Saldo inkl. Vormerkungen", "en": "Including pending"},
    "balance_interimAvailable": {"de": "Verfügbar", "en": "Available"},
}


def choose_language(query_lang: str | None, accept_language: str | None, default: str) -> str:
    """``?lang=`` first, then the browser's preference, then the bank's language."""
    if query_lang in LANGUAGES:
        return query_lang
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            ranked.append((quality, primary))
    if ranked:
        return max(ranked, key=lambda item: item[0])[1]
    return default if default in LANGUAGES else "en"


@dataclass(frozen=True, slots=True)
class Texts:
    """The page texts and formats of one language."""

    language: str

    def __call__(self, key: str, **values: object) -> str:
        text = _TEXTS[key][self.language]
        return text.format(**values) if values else text

    @property
    def other_language(self) -> str:
        return "en" if self.language == "de" else "de"

    def money(self, amount: Decimal, currency: str) -> str:
        return format_currency(amount, currency, locale=_LOCALES[self.language])

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=_LOCALES[self.language])
