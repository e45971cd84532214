"""The fictional banks of the sandbox: two German (EUR) and two US (USD) banks.

Names, bank codes and BICs are invented. The BICs use a ``0`` as the second character of
the location code, the convention for test BICs that are not connected to the live
network; the US routing numbers carry a valid ABA check digit.
"""

from __future__ import annotations

from bankchat.sandbox.model import Bank

SANDBOX_BANKS: tuple[Bank, ...] = (
    Bank(
        id="lindenbank",
        name="Lindenbank",
        country="DE",
        currency="EUR",
        bic="LNDBDEB0XXX",
        bank_code="73361592",
        language="de",
        primary_color="#2e6b3f",
        accent_color="#f2c14e",
    ),
    Bank(
        id="kranichbank",
        name="Kranich Bank",
        country="DE",
        currency="EUR",
        bic="KRNBDEH0XXX",
        bank_code="48219376",
        language="de",
        primary_color="#1f3a68",
        accent_color="#e4572e",
    ),
    Bank(
        id="prairiebank",
        name="Prairie Lantern Bank",
        country="US",
        currency="USD",
        bic="PRLNUS40XXX",
        bank_code="104739581",
        language="en",
        primary_color="#8a5a19",
        accent_color="#f6e7c1",
    ),
    Bank(
        id="bluefinbank",
        name="Bluefin Harbor Bank",
        country="US",
        currency="USD",
        bic="BFHBUSM0XXX",
        bank_code="073819464",
        language="en",
        primary_color="#0d5c75",
        accent_color="#9ad1d4",
    ),
)
