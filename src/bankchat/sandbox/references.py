"""NextGenPSD2 account references (iban, bban or maskedPan): finding the sandbox account a
reference names, and naming an account the way the spec's account reference does."""

from __future__ import annotations

from bankchat.sandbox.model import Account
from bankchat.sandbox.world import World


def normalise_iban(iban: str) -> str:
    """``iban`` in its electronic form: no spaces, capital letters (as printed IBANs differ)."""
    return iban.replace(" ", "").upper()


def find_account(
    world: World,
    *,
    iban: str | None = None,
    bban: str | None = None,
    masked_pan: str | None = None,
    bank_id: str | None = None,
) -> Account | None:
    """The sandbox account named by the first given of ``iban``, ``bban``, ``masked_pan``.

    With ``bank_id``, only that bank's accounts count. None if no such account exists.
    """
    account: Account | None = None
    if iban is not None:
        account_id = world.accounts_by_iban.get(normalise_iban(iban))
        account = world.accounts.get(account_id) if account_id else None
    elif bban is not None:
        account_id = world.accounts_by_bban.get(bban)
        account = world.accounts.get(account_id) if account_id else None
    elif masked_pan is not None:
        # Masked PANs are not unique across banks, so the bank narrows the search first.
        account = next(
            (
                candidate
                for candidate in world.accounts.values()
                if candidate.masked_pan == masked_pan
                and (bank_id is None or candidate.bank_id == bank_id)
            ),
            None,
        )
    if account is None or (bank_id is not None and account.bank_id != bank_id):
        return None
    return account


def account_reference(account: Account, *, currency: bool = False) -> dict[str, str]:
    """The account reference naming ``account``; with ``currency``, also its currency."""
    if account.iban:
        reference = {"iban": account.iban}
    elif account.bban:
        reference = {"bban": account.bban}
    else:
        reference = {"maskedPan": account.masked_pan or ""}
    if currency:
        reference["currency"] = account.currency
    return reference
