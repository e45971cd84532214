"""In real browsers: two people in two browser contexts chat and see each other's messages
arrive live, and a dropped socket resumes without losing or repeating a message."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.web.conftest import PageOpener, Served, message_box, message_log, say, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web-chat")]


async def start_chat(page: Page, email: str, name: str) -> None:
    await page.get_by_role("link", name="New chat").click()
    await page.get_by_label("Name or email address").fill(email)
    await page.get_by_role("button", name=f"Chat with {name}").click()
    await expect(page.get_by_role("heading", name=name)).to_be_visible()


async def test_two_people_see_each_others_messages_arrive_live(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as alice, open_page() as bob:
        alice_email = await sign_up(alice, served.url, "Alice")
        await sign_up(bob, served.url, "Bob")

        await start_chat(bob, alice_email, "Alice")
        await say(bob, "Hi Alice, lunch today?")
        await expect(message_log(bob, "Alice")).to_contain_text("Hi Alice, lunch today?")

        # Alice never reloads: the conversation and its unread count arrive live.
        chat_with_bob = alice.get_by_role("link", name="Bob")
        await expect(chat_with_bob.get_by_label("1 unread")).to_be_visible()
        await chat_with_bob.click()
        await expect(message_log(alice, "Bob")).to_contain_text("Hi Alice, lunch today?")
        await expect(chat_with_bob.get_by_label("1 unread")).to_have_count(0)

        await say(alice, "Sure, at noon!")
        await expect(message_log(bob, "Alice")).to_contain_text("Sure, at noon!")
        await expect(message_log(bob, "Alice").get_by_role("listitem")).to_have_count(2)


async def test_typing_shows_in_the_other_persons_chat(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as alice, open_page() as bob:
        alice_email = await sign_up(alice, served.url, "Alice")
        await sign_up(bob, served.url, "Bob")
        await start_chat(bob, alice_email, "Alice")
        await say(bob, "Hello")
        await alice.get_by_role("link", name="Bob").click()
        await expect(message_log(alice, "Bob")).to_contain_text("Hello")
        await message_box(bob).press_sequentially("Are you")
        await expect(alice.get_by_text("Bob is typing…")).to_be_visible()


class Switch:
    """Sits between Alice's page and the server: can cut her socket and keep it down."""

    REFUSALS_TO_WAIT_FOR = 2

    def __init__(self) -> None:
        self.online = True
        self.sockets: list[WebSocketRoute] = []
        self.refusals = 0
        self.refused_enough = asyncio.Event()

    async def route(self, socket: WebSocketRoute) -> None:
        if not self.online:
            self.refusals += 1
            if self.refusals >= self.REFUSALS_TO_WAIT_FOR:
                self.refused_enough.set()
            await socket.close(code=1011, reason="offline")
            return
        socket.connect_to_server()
        self.sockets.append(socket)

    async def cut(self) -> None:
        self.online = False
        for socket in self.sockets:
            await socket.close(code=1011, reason="dropped")
        self.sockets.clear()


async def test_a_dropped_socket_resumes_without_loss_or_duplicates(
    served: Served, open_page: PageOpener
) -> None:
    switch = Switch()
    async with open_page() as alice, open_page() as bob:
        await alice.route_web_socket("**/api/v1/ws", switch.route)
        alice_email = await sign_up(alice, served.url, "Alice")
        await sign_up(bob, served.url, "Bob")
        await start_chat(bob, alice_email, "Alice")
        await say(bob, "one")
        await alice.get_by_role("link", name="Bob").click()
        await expect(message_log(alice, "Bob")).to_contain_text("one")

        await switch.cut()
        await expect(alice.get_by_text("Connection lost. Reconnecting…")).to_be_visible()
        for text in ("two", "three", "four"):
            await say(bob, text)
        await expect(message_log(bob, "Alice").get_by_role("listitem")).to_have_count(4)
        # Written while offline: kept and sent once the socket is back.
        await say(alice, "back soon")
        # Back only after some reconnects have failed.
        await asyncio.wait_for(switch.refused_enough.wait(), timeout=15)
        switch.online = True

        await expect(alice.get_by_text("Connection lost. Reconnecting…")).to_be_hidden()
        bubbles = message_log(alice, "Bob").get_by_role("listitem")
        await expect(bubbles).to_have_count(5)
        assert await bubbles.locator(".text").all_inner_texts() == [
            "one",
            "two",
            "three",
            "four",
            "back soon",
        ]
        await expect(message_log(bob, "Alice").get_by_role("listitem")).to_have_count(5)
        await expect(message_log(bob, "Alice")).to_contain_text("back soon")
