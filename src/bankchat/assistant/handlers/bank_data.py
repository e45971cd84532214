"""The assistant's door to the person's bank data: the vault's audited reads with purpose
``user_request`` and actor ``assistant``, and matching what the person named (a bank, an
account type) against their linked accounts.

A handler that learns from its own read that nothing is linked, or that the person did not
share what the question needs, raises ``NothingLinked`` or ``NotShared``: the dialogue
answers those as it answers the same finding made before the handler ran."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Final

from bankchat.assistant.handlers.base import Turn
from bankchat.assistant.nlu.result import Entities
from bankchat.banking import service as banking
from bankchat.platform import Platform
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AccountDetails, StoredTransaction
from bankchat.vault.service import AccountsWithBalances

ACTOR: Final = "assistant"
PURPOSE: Final = Purpose.USER_REQUEST
# Words that say nothing about which bank is meant.
_FILLER: Final = frozenset(
    {"bank", "die", "der", "bei", "meiner", "meine", "my", "the", "at", "von", "from", "of"}
)
_WORD: Final = re.compile(r"\w+")


class NothingLinked(Exception):
    """The person shares no account with the assistant."""


class NotShared(Exception):
    """An account the question is about is shared, but not with what the answer needs."""


async def has_linked_accounts(turn: Turn) -> bool:
    """Whether the person shares any account (no vault read: nothing is audited)."""
    return bool(await banking.linked_accounts(turn.tx.session, turn.person_id))


async def accounts_with_balances(turn: Turn) -> AccountsWithBalances:
    """The accounts and, where shared, their balances: one audited read in the turn."""
    return await turn.platform.vault.read_accounts_with_balances(
        turn.tx, person_id=turn.person_id, actor=ACTOR, purpose=PURPOSE
    )


async def transactions(
    turn: Turn,
    *,
    date_from: date,
    date_to: date,
    account_ids: list[str] | None = None,
) -> list[StoredTransaction]:
    """Transactions within [date_from, date_to], newest first: an audited read in the turn."""
    return await turn.platform.vault.read_transactions(
        turn.tx,
        person_id=turn.person_id,
        actor=ACTOR,
        purpose=PURPOSE,
        account_ids=account_ids,
        date_from=date_from,
        date_to=date_to,
    )


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def bank_matches(written: str, bank_id: str, name: str) -> bool:
    """Whether ``written`` (as the person wrote it) names this bank."""
    wanted = _words(written) - _FILLER or _words(written)
    if not wanted:
        return False
    if wanted <= _words(name) | {bank_id.casefold()}:
        return True
    # "Lakebank" for "Lake Bank Test": the letters without spaces start the name.
    squeezed = "".join(_WORD.findall(written.casefold()))
    return len(squeezed) >= 4 and "".join(_WORD.findall(name.casefold())).startswith(squeezed)


def registry_bank_id(platform: Platform, written: str) -> str | None:
    """The registry bank the person named, if exactly one matches."""
    found = [b.id for b in platform.banks if bank_matches(written, b.id, b.name)]
    return found[0] if len(found) == 1 else None


def choose_accounts(
    platform: Platform, found: Iterable[AccountDetails], entities: Entities
) -> list[AccountDetails]:
    """The accounts the entities name (account type and/or bank); all without either."""
    chosen = list(found)
    kind, bank = entities.account_type, entities.bank
    if kind is not None:
        chosen = [a for a in chosen if a.kind == kind.value]
    if bank is not None:
        chosen = [
            a for a in chosen if bank_matches(bank, a.bank_id, platform.banks.name_of(a.bank_id))
        ]
    return chosen


def account_label(platform: Platform, account: AccountDetails) -> str:
    """How an account is called in a reply: its name, else its product."""
    return account.name or account.product or platform.banks.name_of(account.bank_id)


def account_detail(platform: Platform, account: AccountDetails) -> str:
    """Bank and the end of the IBAN or card number, enough to tell accounts apart."""
    bank = platform.banks.name_of(account.bank_id)
    number = account.iban or account.masked_pan
    return f"{bank} · …{number[-4:]}" if number else bank
