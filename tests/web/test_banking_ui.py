"""In a real browser: a person signs up, links a sandbox bank through the bank's own SCA
pages, sees the accounts, and revoking in the privacy center removes them again."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.platform_support import PASSWORD
from tests.web.conftest import NORDBANK, PHONE, PageOpener, Served, link_bank, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web-banking")]


async def test_sign_up_and_link_a_bank_shows_its_accounts(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Anna")
        await link_bank(page, NORDBANK)
        accounts = page.get_by_role("list", name="Your accounts")
        main = accounts.get_by_role("listitem", name="Main account")
        await expect(main).to_be_visible()
        await expect(main).to_contain_text("€")
        await expect(page.get_by_role("table", name="Recent transactions")).to_contain_text(
            "Employer GmbH"
        )


async def test_revoking_in_the_privacy_center_removes_the_accounts(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Ben")
        await link_bank(page, NORDBANK)
        await expect(page.get_by_role("listitem", name="Main account")).to_be_visible()

        await page.get_by_role("link", name="Privacy center").click()
        connection = page.get_by_role("listitem", name="Nordbank Test")
        await expect(connection).to_contain_text("Active")
        await page.get_by_role("button", name="Revoke access to Nordbank Test").click()
        dialog = page.get_by_role("dialog", name="Revoke access to Nordbank Test?")
        await dialog.get_by_role("button", name="Revoke").click()
        await expect(page.get_by_role("status")).to_contain_text(
            "Access to Nordbank Test has been revoked."
        )
        await expect(connection).to_contain_text("Revoked")

        await page.get_by_role("link", name="Accounts").click()
        await expect(page.get_by_text("No linked accounts yet.")).to_be_visible()
        await expect(page.get_by_role("listitem", name="Main account")).to_have_count(0)


async def test_access_log_lists_the_reads_in_a_table(served: Served, open_page: PageOpener) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Cleo")
        await link_bank(page, NORDBANK)
        await expect(page.get_by_role("listitem", name="Main account")).to_be_visible()
        await page.get_by_role("link", name="Privacy center").click()
        table = page.get_by_role("table", name="Who read what, and why")
        await expect(table.get_by_role("row").nth(1)).to_be_visible()
        await expect(table).to_contain_text("Your question")


async def test_german_switch_translates_and_formats_amounts_the_german_way(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Dora")
        await link_bank(page, NORDBANK)
        await page.get_by_role("button", name="Deutsch").click()
        await expect(page.get_by_role("heading", name="Deine Konten")).to_be_visible()
        main = page.get_by_role("listitem", name="Main account")
        await expect(main).to_contain_text(re.compile(r"\d,\d{2}\xa0€"))
        # Kept in the profile: a reload (and another device) shows German too.
        await page.reload()
        await expect(page.get_by_role("link", name="Datenschutz-Center")).to_be_visible()


async def test_at_phone_width_the_pages_stack_with_a_back_button(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page(viewport=PHONE) as page:
        await sign_up(page, served.url, "Emil")
        await page.get_by_role("link", name="Privacy center").click()
        await expect(page.get_by_role("heading", name="Privacy center")).to_be_visible()
        await expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        await page.get_by_role("link", name="Back").click()
        await expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]


async def test_deleting_everything_needs_the_email_address_and_signs_out(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        email = await sign_up(page, served.url, "Fritz")
        await page.get_by_role("link", name="Privacy center").click()
        await page.get_by_role("button", name="Delete everything…").click()
        dialog = page.get_by_role("dialog", name="Delete everything for good?")
        confirm = dialog.get_by_role("button", name="Delete everything for good")
        await expect(confirm).to_be_disabled()
        await dialog.get_by_label("Type your email address").fill("someone@example.org")
        await expect(confirm).to_be_disabled()
        await dialog.get_by_label("Type your email address").fill(email)
        await confirm.click()
        await expect(page.get_by_role("status")).to_contain_text(
            "Everything about you has been deleted."
        )
        await page.get_by_label("Email address").fill(email)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Log in", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "Email address or password is wrong."
        )
