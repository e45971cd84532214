"""In real browsers: two people in two browser contexts chat and see each other's messages
arrive live, and a dropped socket resumes without losing or repeating a message."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Locator, Page, WebSocketRoute, expect

from tests.web.conftest import Served, person_context, screenshots, sign_up

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("web-chat"),
    pytest.mark.usefixtures("needs_chat"),
]


async def start_chat(page: Page, email: str, name: str) -> None:
    await page.get_by_role("link", name="New chat").click()
    await page.get_by_label("Name or email address").fill(email)
    await page.get_by_role("button", name=f"Chat with {name}").click()
    await expect(page.get_by_role("heading", name=name)).to_be_visible()


async def say(page: Page, text: str) -> None:
    await page.get_by_role("textbox", name="Message").fill(text)
    await page.get_by_role("textbox", name="Message").press("Enter")


def log(page: Page, title: str) -> Locator:
    return page.get_by_role("log", name=f"Messages in {title}")


async def test_two_people_see_each_others_messages_arrive_live(
    served: Served, browser: Browser
) -> None:
    async with person_context(browser) as alice_context, person_context(browser) as bob_context:
        alice = await alice_context.new_page()
        bob = await bob_context.new_page()
        async with screenshots("web-chat-live", alice, bob):
            alice_email = await sign_up(alice, served.url, "Alice")
            await sign_up(bob, served.url, "Bob")

            await start_chat(bob, alice_email, "Alice")
            await say(bob, "Hi Alice, lunch today?")
            await expect(log(bob, "Alice")).to_contain_text("Hi Alice, lunch today?")

            # Alice never reloads: the conversation and its unread count arrive live.
            chat_with_bob = alice.get_by_role("link", name="Bob")
            await expect(chat_with_bob.get_by_label("1 unread")).to_be_visible()
            await chat_with_bob.click()
            await expect(log(alice, "Bob")).to_contain_text("Hi Alice, lunch today?")
            await expect(chat_with_bob.get_by_label("1 unread")).to_have_count(0)

            await say(alice, "Sure, at noon!")
            await expect(log(bob, "Alice")).to_contain_text("Sure, at noon!")
            await expect(log(bob, "Alice").get_by_role("listitem")).to_have_count(2)


async def test_typing_shows_in_the_other_persons_chat(served: Served, browser: Browser) -> None:
    async with person_context(browser) as alice_context, person_context(browser) as bob_context:
        alice = await alice_context.new_page()
        bob = await bob_context.new_page()
        async with screenshots("web-chat-typing", alice, bob):
            alice_email = await sign_up(alice, served.url, "Alice")
            await sign_up(bob, served.url, "Bob")
            await start_chat(bob, alice_email, "Alice")
            await say(bob, "Hello")
            await alice.get_by_role("link", name="Bob").click()
            await expect(log(alice, "Bob")).to_contain_text("Hello")
            await bob.get_by_role("textbox", name="Message").press_sequentially("Are you")
            await expect(alice.get_by_text("Bob is typing…")).to_be_visible()


class Switch:
    """Sits between Alice's page and the server: can cut her socket and keep it down."""

    def __init__(self) -> None:
        self.online = True
        self.sockets: list[WebSocketRoute] = []

    async def route(self, socket: WebSocketRoute) -> None:
        if not self.online:
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
    served: Served, browser: Browser
) -> None:
    async with person_context(browser) as alice_context, person_context(browser) as bob_context:
        switch = Switch()
        await alice_context.route_web_socket("**/api/v1/ws", switch.route)
        alice = await alice_context.new_page()
        bob = await bob_context.new_page()
        async with screenshots("web-chat-resume", alice, bob):
            alice_email = await sign_up(alice, served.url, "Alice")
            await sign_up(bob, served.url, "Bob")
            await start_chat(bob, alice_email, "Alice")
            await say(bob, "one")
            await alice.get_by_role("link", name="Bob").click()
            await expect(log(alice, "Bob")).to_contain_text("one")

            await switch.cut()
            await expect(alice.get_by_text("Connection lost. Reconnecting…")).to_be_visible()
            for text in ("two", "three", "four"):
                await say(bob, text)
            await expect(log(bob, "Alice").get_by_role("listitem")).to_have_count(4)
            # Written while offline: kept and sent once the socket is back.
            await say(alice, "back soon")
            await alice.wait_for_timeout(1500)  # a few failed reconnects
            switch.online = True

            await expect(alice.get_by_text("Connection lost. Reconnecting…")).to_be_hidden()
            bubbles = log(alice, "Bob").get_by_role("listitem")
            await expect(bubbles).to_have_count(5)
            assert await bubbles.locator(".text").all_inner_texts() == [
                "one",
                "two",
                "three",
                "four",
                "back soon",
            ]
            await expect(log(bob, "Alice").get_by_role("listitem")).to_have_count(5)
            await expect(log(bob, "Alice")).to_contain_text("back soon")
