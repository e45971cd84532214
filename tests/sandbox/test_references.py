"""Finding the sandbox account an account reference names, and naming an account."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from bankchat.sandbox.references import account_reference, find_account
from bankchat.sandbox.world import World
from tests.sandbox.worlds import small_world

WORLD = small_world()  # read only, shared by the hypothesis examples


def iban_of(world: World, account_id: str) -> str:
    iban = world.accounts[account_id].iban
    assert iban is not None
    return iban


def test_iban_finds_its_account(world: World) -> None:
    account = find_account(world, iban=iban_of(world, "nordbank-c1-chk"))
    assert account is world.accounts["nordbank-c1-chk"]


@given(data=st.data())
def test_iban_in_lower_case_and_spaced_finds_its_account(data: st.DataObject) -> None:
    iban = iban_of(WORLD, "suedbank-c1-sav")
    spaced = "".join(
        (ch.lower() if data.draw(st.booleans()) else ch) + data.draw(st.sampled_from(["", " "]))
        for ch in iban
    )
    assert find_account(WORLD, iban=spaced) is WORLD.accounts["suedbank-c1-sav"]


def test_bban_finds_its_account(world: World) -> None:
    bban = world.accounts["lakebank-c2-chk"].bban
    assert find_account(world, bban=bban) is world.accounts["lakebank-c2-chk"]


def test_masked_pan_finds_the_card_account_of_the_bank(world: World) -> None:
    account = find_account(world, masked_pan="4111********1111", bank_id="suedbank")
    assert account is world.accounts["suedbank-c1-card"]


@given(st.text(max_size=40))
def test_unknown_reference_finds_nothing(text: str) -> None:
    known = {a.iban for a in WORLD.accounts.values()} | {a.bban for a in WORLD.accounts.values()}
    assume(text.replace(" ", "").upper() not in known and text != "4111********1111")
    assert find_account(WORLD, iban=text) is None
    assert find_account(WORLD, bban=text) is None
    assert find_account(WORLD, masked_pan=text) is None


def test_reference_with_no_field_finds_nothing(world: World) -> None:
    assert find_account(world) is None


def test_account_of_another_bank_is_excluded(world: World) -> None:
    iban = iban_of(world, "suedbank-c1-chk")
    assert find_account(world, iban=iban, bank_id="nordbank") is None


def test_bban_of_another_bank_is_excluded(world: World) -> None:
    bban = world.accounts["lakebank-c1-chk"].bban
    assert find_account(world, bban=bban, bank_id="nordbank") is None


def test_iban_comes_before_bban(world: World) -> None:
    account = find_account(
        world, iban=iban_of(world, "nordbank-c1-chk"), bban=world.accounts["lakebank-c1-chk"].bban
    )
    assert account is world.accounts["nordbank-c1-chk"]


def test_account_with_iban_is_named_by_iban(world: World) -> None:
    account = world.accounts["nordbank-c1-chk"]
    assert account_reference(account) == {"iban": account.iban}


def test_account_with_bban_only_is_named_by_bban(world: World) -> None:
    account = world.accounts["lakebank-c1-chk"]
    assert account_reference(account) == {"bban": account.bban}


def test_card_account_is_named_by_masked_pan(world: World) -> None:
    assert account_reference(world.accounts["nordbank-c1-card"]) == {
        "maskedPan": "4111********1111"
    }


def test_reference_with_currency_adds_the_accounts_currency(world: World) -> None:
    account = world.accounts["lakebank-c1-chk"]
    assert account_reference(account, currency=True) == {"bban": account.bban, "currency": "USD"}
