"""A person gives a consent in a real browser: the demo app asks the bank, the person logs
in and approves on the bank's page, and the app reads balances with that consent."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser import chromium, screenshot_on_failure
from tests.conftest import LiveSandbox

pytestmark = pytest.mark.browser


# The bank's pages follow the browser's language: labels per locale.
LABELS = {
    "de-DE": {
        "login": "Anmeldename",
        "password": "Passwort",
        "submit": "Anmelden",
        "approve": "Freigeben",
        "deny": "Ablehnen",
        "connect": "Die Demo-App mit Nordbank Test verbinden",
        "balances": "Salden von Main account",
    },
    "en-US": {
        "login": "Login name",
        "password": "Password",
        "submit": "Log in",
        "approve": "Approve",
        "deny": "Deny",
        "connect": "Connect the demo app to Nordbank Test",
        "balances": "Balances of Main account",
    },
}


async def _log_in_and_answer(page: Page, sandbox: LiveSandbox, locale: str, answer: str) -> None:
    labels = LABELS[locale]
    await page.goto(f"{sandbox.url}/")
    await page.get_by_role("button", name=labels["connect"]).click()
    await page.get_by_label(labels["login"]).fill("nordbank1")
    await page.get_by_label(labels["password"]).fill("pass-nordbank-1")
    await page.get_by_role("button", name=labels["submit"]).click()
    await page.get_by_role("button", name=labels[answer]).click()


async def test_consent_approved_in_german_in_the_browser_lets_the_app_read_balances(
    sandbox: LiveSandbox,
) -> None:
    async with chromium() as browser:
        page = await browser.new_page(locale="de-DE")
        try:
            await _log_in_and_answer(page, sandbox, "de-DE", "approve")
            await expect(page.locator("#consent-status")).to_have_text("valid")
            balances = page.get_by_role("table", name=LABELS["de-DE"]["balances"])
            # Booked balance of nordbank1's checking account, formatted for German readers.
            await expect(balances).to_contain_text("2.457,90\xa0€")
            consent = next(iter(sandbox.world.consents.values()))
            assert consent.customer_id == "nordbank-c1"
        except Exception:
            await screenshot_on_failure(page, "consent-approved")
            raise


async def test_consent_denied_in_english_in_the_browser_leaves_the_app_without_data(
    sandbox: LiveSandbox,
) -> None:
    async with chromium() as browser:
        page = await browser.new_page(locale="en-US")
        try:
            await _log_in_and_answer(page, sandbox, "en-US", "deny")
            await expect(page.locator("#consent-status")).to_have_text("rejected")
            await expect(page.get_by_role("table")).to_have_count(0)
        except Exception:
            await screenshot_on_failure(page, "consent-denied")
            raise
