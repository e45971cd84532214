"""Fixtures for the web messenger's browser tests: the platform served by uvicorn on a
loopback port (its public URL, where the sandbox bank sends browsers back), the live
sandbox bank, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect
from playwright.async_api import Error as PlaywrightError

from bankchat.app import create_app
from bankchat.banking import worker
from bankchat.banking.registry import BankEntry
from bankchat.platform import Platform
from bankchat.sandbox.world import World
from bankchat.server import open_platform
from tests.browser import chromium, screenshot_on_failure
from tests.conftest import free_port, platform_settings
from tests.platform_support import PASSWORD

_emails = itertools.count(1)
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 740}


@dataclass
class Served:
    """The platform behind a real loopback URL."""

    url: str
    platform: Platform


@pytest.fixture
async def served(
    bank_entries: list[BankEntry], world: World, tmp_path: Path
) -> AsyncIterator[Served]:
    """The platform on its own SQLite file, served in this event loop on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = platform_settings(tmp_path).model_copy(update={"public_url": url})
    async with open_platform(settings, bank_entries, clock=lambda: world.clock()) as platform:
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
async def needs_chat(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url) as client:
        if (await client.get("/api/v1/conversations")).status_code == 404:
            pytest.skip("the messaging API (/api/v1/conversations) is not wired yet")


@asynccontextmanager
async def person_context(
    browser: Browser, *, locale: str = "en-US", viewport: ViewportSize | None = None
) -> AsyncIterator[BrowserContext]:
    """A browser context of its own (own cookies), like a second person's device."""
    context = await browser.new_context(locale=locale, viewport=viewport or DESKTOP)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        await context.close()


@asynccontextmanager
async def screenshots(name: str, *pages: Page) -> AsyncIterator[None]:
    """On failure, keep a screenshot of every page (BANKCHAT_SCREENSHOT_DIR)."""
    try:
        yield
    except BaseException:
        for index, page in enumerate(pages):
            # A page that is already closed has nothing to show; keep the others.
            with contextlib.suppress(PlaywrightError):
                await screenshot_on_failure(page, f"{name}-{index}")
        raise


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


async def link_bank(page: Page, bank_name: str, login: str, password: str) -> None:
    """Link a bank from the page, logging in and approving on the bank's own pages."""
    await page.get_by_role("link", name="Link a bank").click()
    await page.get_by_role("radio", name=bank_name).check()
    await page.get_by_role("button", name=f"Continue to {bank_name}").click()
    await page.get_by_label("Login name").fill(login)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("button", name="Approve").click()
    await expect(
        page.get_by_role("status").filter(has_text=f"{bank_name} is linked")
    ).to_be_visible()
