"""The closed sets the NLU answers in (DESIGN.md, NLU contract): intents, spending
categories and account types. (Its languages are ``bankchat.language``'s.)"""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    """What a person wants; nothing outside this set is ever answered."""

    GREET = "greet"
    GOODBYE = "goodbye"
    THANKS = "thanks"
    HELP = "help"
    AFFIRM = "affirm"
    DENY = "deny"
    CHECK_BALANCE = "check_balance"
    LIST_TRANSACTIONS = "list_transactions"
    SPENDING_SUMMARY = "spending_summary"
    SEND_MONEY = "send_money"
    REQUEST_MONEY = "request_money"
    LOCK_CARD = "lock_card"
    UNLOCK_CARD = "unlock_card"
    REPORT_FRAUD = "report_fraud"
    TALK_TO_AGENT = "talk_to_agent"
    LINK_ACCOUNT = "link_account"
    UNLINK_ACCOUNT = "unlink_account"
    PRIVACY_ACCESS_LOG = "privacy_access_log"
    EXPORT_DATA = "export_data"
    DELETE_DATA = "delete_data"
    OUT_OF_SCOPE = "out_of_scope"


class Category(StrEnum):
    """Spending categories of the ``category`` entity."""

    GROCERIES = "groceries"
    RESTAURANTS = "restaurants"
    TRANSPORT = "transport"
    SHOPPING = "shopping"
    ENTERTAINMENT = "entertainment"
    TRAVEL = "travel"
    UTILITIES = "utilities"
    RENT = "rent"
    HEALTH = "health"
    CASH = "cash"
    INCOME = "income"
    OTHER = "other"


class AccountType(StrEnum):
    """Account types of the ``account_type`` entity."""

    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"
