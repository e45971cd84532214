"""Fixtures and steps for the web messenger's browser tests: the platform served by uvicorn
on a loopback port (its public URL, where the sandbox bank sends browsers back), the live
sandbox bank, Debian's Chromium driven by Playwright, and what a person does on the page."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Locator, Page, ViewportSize, expect
from playwright.async_api import Error as PlaywrightError

from bankchat.app import create_app
from bankchat.banking import worker
from bankchat.banking.registry import BankEntry
from bankchat.platform import Platform
from bankchat.sandbox.world import World
from bankchat.server import open_platform
from tests.browser import chromium, screenshot_on_failure
from tests.conftest import free_port, platform_settings
from tests.databases import sqlite_database
from tests.platform_support import PASSWORD

_emails = itertools.count(1)
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 740}


@dataclass(frozen=True)
class BankLogin:
    """A sandbox bank and one of its logins."""

    name: str
    login: str
    password: str


NORDBANK = BankLogin("Nordbank Test", "nordbank1", "pass-nordbank-1")

PageOpener = Callable[..., AbstractAsyncContextManager[Page]]


@dataclass
class Served:
    """The platform behind a real loopback URL."""

    url: str
    platform: Platform


@pytest.fixture
async def served(
    bank_entries: list[BankEntry], world: World, tmp_path: Path, migrated_sqlite_file: Path
) -> AsyncIterator[Served]:
    """The platform on its own SQLite file (a copy of the worker's migrated one), served in
    this event loop on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = platform_settings(tmp_path).model_copy(update={"public_url": url})
    async with (
        sqlite_database(tmp_path / "bankchat.db", migrated_sqlite_file) as engine,
        open_platform(
            settings, bank_entries, engine=engine, clock=lambda: world.clock()
        ) as platform,
    ):
        app = create_app(platform, background=False)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:  # uvicorn offers no event to wait on
            if task.done():
                await task
            await asyncio.sleep(0.01)
        unsubscribe = worker.subscribe_sync(platform)
        try:
            yield Served(url, platform)
        finally:
            unsubscribe()
            server.should_exit = True
            await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as opened:
        yield opened


@pytest.fixture
def open_page(browser: Browser, request: pytest.FixtureRequest) -> PageOpener:
    """Opens a page in a browser context of its own (own cookies, like a person's own
    device); on failure it keeps a screenshot named for the test (BANKCHAT_SCREENSHOT_DIR)."""
    pages = itertools.count()

    @asynccontextmanager
    async def opened(*, viewport: ViewportSize | None = None) -> AsyncIterator[Page]:
        context = await browser.new_context(locale="en-US", viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        try:
            page = await context.new_page()
            try:
                yield page
            except BaseException:
                # A page that is already closed has nothing to show.
                with contextlib.suppress(PlaywrightError):
                    await screenshot_on_failure(page, f"{request.node.name}-{next(pages)}")
                raise
        finally:
            await context.close()

    return opened


def new_email(name: str) -> str:
    local = "".join(char for char in name.lower() if char.isascii() and char.isalnum())
    return f"{local}{next(_emails)}-{uuid.uuid4().hex[:8]}@example.org"


async def sign_up(page: Page, url: str, name: str) -> str:
    """Sign up through the page's form; returns the email address used."""
    email = new_email(name)
    await page.goto(url + "/")
    await page.get_by_role("button", name="New here? Create an account.").click()
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    return email


async def link_bank(page: Page, bank: BankLogin) -> None:
    """Link a bank from the page, logging in and approving on the bank's own pages."""
    await page.get_by_role("link", name="Link a bank").click()
    await page.get_by_role("radio", name=bank.name).check()
    await page.get_by_role("button", name=f"Continue to {bank.name}").click()
    await page.get_by_label("Login name").fill(bank.login)
    await page.get_by_label("Password").fill(bank.password)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("button", name="Approve").click()
    await expect(
        page.get_by_role("status").filter(has_text=f"{bank.name} is linked")
    ).to_be_visible()


def message_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name=re.compile("^(Message|Nachricht)$"))


async def say(page: Page, text: str) -> None:
    """Write a message into the open chat and send it with Enter."""
    await message_box(page).fill(text)
    await message_box(page).press("Enter")


def message_log(page: Page, title: str) -> Locator:
    """The messages of the open chat with ``title``, in either language."""
    return page.get_by_role(
        "log", name=re.compile(f"^(Messages in|Nachrichten in) {re.escape(title)}$")
    )
