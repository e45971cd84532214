"""In a real browser: the assistant's conversation shows the assistant's cards as named
articles with their rows in order, its quick replies (``open:`` ones as links to pages of
the messenger, the newest ones primary), suggestions of what to ask while it is empty, and,
once the assistant answers, a German balance card and a way into the privacy center."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import Locator, Page, Route, expect

from bankchat.assistant.cards import card, row
from bankchat.assistant.nlu.pipeline import Nlu
from bankchat.messaging import service as messaging
from tests.web.conftest import (
    NORDBANK,
    PHONE,
    PageOpener,
    Served,
    link_bank,
    message_log,
    say,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web-assistant")]

ANSWER_MS = 30_000
GERMAN_EUROS = re.compile(r"^[-−]?\d{1,3}(\.\d{3})*,\d{2}\xa0€$")


@pytest.fixture(scope="session")
def needs_assistant(trained_nlu: Nlu) -> None:
    """The assistant's NLU, loaded up front (once per test process, shared in memory), so
    no answer waits minutes for a model to be trained."""


async def assistant_messages(page: Page, url: str) -> list[dict[str, Any]]:
    """Everything stored in the person's assistant conversation, oldest first."""
    conversations = await (await page.request.get(f"{url}/api/v1/conversations")).json()
    (assistant,) = [each for each in conversations if each["kind"] == "assistant"]
    page_of = await page.request.get(f"{url}/api/v1/conversations/{assistant['id']}/messages")
    messages: list[dict[str, Any]] = (await page_of.json())["messages"]
    return messages


async def post_as_assistant(served: Served, page: Page, kind: str, body: dict[str, Any]) -> None:
    """What the assistant's server side does: store a message for the person signed in on
    ``page``, then deliver it live."""
    signed_in = await page.request.get(f"{served.url}/api/v1/auth/session")
    person = str((await signed_in.json())["person"]["id"])
    platform = served.platform
    async with platform.unit_of_work() as tx:
        await messaging.post_from_assistant(tx, person, kind, body, now=platform.clock())


async def open_assistant(page: Page, name: str = "Assistant") -> Locator:
    await page.get_by_role("link", name=name).first.click()
    await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    return message_log(page, name)


def balance_card(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return card(
        "balance",
        "Your balances",
        rows,
        "en",
        total=("Total", "€6,234.56"),
        footer="As of today, 09:00",
    )


BALANCE_CARD = balance_card(
    [
        row(
            "Main account",
            detail="Nordbank Test",
            value="€1,234.56",
            secondary="€1,200.00 available",
        ),
        row("Savings", detail="Nordbank Test", value="€5,000.00"),
    ]
)


# -- cards ------------------------------------------------------------------------------


async def test_a_card_is_an_article_named_by_its_title_with_its_rows_in_order(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Greta")
        log = await open_assistant(page)
        await post_as_assistant(served, page, "card", BALANCE_CARD)

        article = log.get_by_role("article", name="Your balances")
        await expect(article).to_be_visible()
        rows = article.get_by_role("listitem")
        await expect(rows).to_have_text(
            [
                re.compile(r"^Main account\s*Nordbank Test\s*€1,234\.56\s*€1,200\.00 available$"),
                re.compile(r"^Savings\s*Nordbank Test\s*€5,000\.00$"),
            ]
        )
        await expect(article).to_contain_text(re.compile(r"Total\s*€6,234\.56"))
        await expect(article).to_contain_text("As of today, 09:00")


async def test_incoming_rows_are_coloured_and_named_for_screen_readers(
    served: Served, open_page: PageOpener
) -> None:
    body = card(
        "transactions",
        "Latest transactions",
        [
            row("Employer GmbH", detail="1 Mar", value="+€2,500.00", tone="in"),
            row("REWE", detail="2 Mar", value="-€42.10", tone="out"),
        ],
        "en",
    )
    async with open_page() as page:
        await sign_up(page, served.url, "Hanna")
        log = await open_assistant(page)
        await post_as_assistant(served, page, "card", body)

        rows = log.get_by_role("article", name="Latest transactions").get_by_role("listitem")
        await expect(rows.nth(0)).to_contain_text("incoming")
        await expect(rows.nth(1)).to_contain_text("outgoing")
        incoming = (
            await rows.nth(0).locator(".line-value").evaluate("e => getComputedStyle(e).color")
        )
        outgoing = (
            await rows.nth(1).locator(".line-value").evaluate("e => getComputedStyle(e).color")
        )
        assert incoming != outgoing


async def test_a_card_fits_a_phone_screen(served: Served, open_page: PageOpener) -> None:
    body = balance_card(
        [
            row(
                "Gemeinschaftskonto für Haushalt, Urlaub und Versicherungen",
                detail="Südbank Test · DE12 3456 7890 1234 5678 90",
                value="€123,456,789.01",
                secondary="€123,000,000.00 available",
            )
        ]
    )
    async with open_page(viewport=PHONE) as page:
        await sign_up(page, served.url, "Ida")
        log = await open_assistant(page)
        await post_as_assistant(served, page, "card", body)

        article = log.get_by_role("article", name="Your balances")
        await expect(article).to_be_visible()
        box = await article.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_spending_rows_show_bars_sized_to_the_largest_in_their_currency(
    served: Served, open_page: PageOpener
) -> None:
    spending = card(
        "spending",
        "Spending in March",
        [
            row("Groceries", value="€300.00", amount=Decimal("300.00"), currency="EUR"),
            row("Transport", value="€75.00", amount=Decimal("75.00"), currency="EUR"),
            row("Travel", value="$50.00", amount=Decimal("50.00"), currency="USD"),
        ],
        "en",
        total=("Total", "€375.00 · $50.00"),
    )

    async def history(route: Route) -> None:
        # The card as the assistant will store it, served as the conversation's history.
        conversation = route.request.url.split("/conversations/")[1].split("/")[0]
        message = {
            "id": "m1",
            "conversationId": conversation,
            "seq": 1,
            "senderId": "assistant",
            "clientId": "assistant-1",
            "kind": "card",
            "body": spending,
            "createdAt": "2025-03-14T09:00:00Z",
        }
        await route.fulfill(json={"messages": [message], "nextBefore": None})

    async with open_page() as page:
        await sign_up(page, served.url, "Jule")
        await page.route("**/api/v1/conversations/*/messages*", history)
        log = await open_assistant(page)

        bars = log.get_by_role("article", name="Spending in March").locator(".line-bar")
        await expect(bars).to_have_count(3)
        shares = [
            await bar.evaluate("e => e.style.getPropertyValue('--share')")
            for bar in await bars.all()
        ]
        assert shares == ["100%", "25%", "100%"]


# -- quick replies ------------------------------------------------------------------------


async def test_an_open_button_goes_to_that_page_instead_of_sending(
    served: Served, open_page: PageOpener
) -> None:
    buttons = {
        "text": "You can link Südbank Test in a moment.",
        "replies": [{"label": "Link Südbank Test", "payload": "open:#/link?bank=suedbank"}],
    }
    async with open_page() as page:
        await sign_up(page, served.url, "Jonas")
        log = await open_assistant(page)
        await post_as_assistant(served, page, "quick_replies", buttons)

        await log.get_by_role("link", name="Link Südbank Test").click()
        await expect(page.get_by_role("heading", name="Link a bank")).to_be_visible()
        await expect(page.get_by_role("radio", name="Südbank Test")).to_be_checked()
        kinds = [message["kind"] for message in await assistant_messages(page, served.url)]
        assert kinds == ["quick_replies"]


async def test_a_link_to_an_unknown_bank_keeps_the_first_bank_chosen(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Karla")
        await page.goto(f"{served.url}/#/link?bank=nobank")
        choices = page.get_by_role("group", name="Your bank").get_by_role("radio")
        await expect(choices.first).to_be_checked()
        await expect(page.get_by_role("radio", checked=True)).to_have_count(1)


async def test_an_open_payload_outside_the_messenger_shows_no_button(
    served: Served, open_page: PageOpener
) -> None:
    buttons = {
        "text": "Pick one",
        "replies": [
            {"label": "Elsewhere", "payload": "open:https://example.org/"},
            {"label": "Say hello", "payload": "say:hello"},
        ],
    }
    async with open_page() as page:
        await sign_up(page, served.url, "Lars")
        log = await open_assistant(page)
        await post_as_assistant(served, page, "quick_replies", buttons)

        group = log.get_by_role("group", name="Suggested answers")
        await expect(group.get_by_role("button", name="Say hello")).to_be_visible()
        await expect(group.get_by_text("Elsewhere")).to_have_count(0)


async def test_older_quick_replies_stay_usable_but_the_newest_are_primary(
    served: Served, open_page: PageOpener
) -> None:
    first = {"text": "Which one?", "replies": [{"label": "The old one", "payload": "say:old"}]}
    second = {"text": "Or this?", "replies": [{"label": "The new one", "payload": "say:new"}]}
    async with open_page() as page:
        await sign_up(page, served.url, "Mia")
        log = await open_assistant(page)
        await post_as_assistant(served, page, "quick_replies", first)
        await post_as_assistant(served, page, "quick_replies", second)

        groups = log.get_by_role("group", name="Suggested answers")
        await expect(groups).to_have_count(2)
        await expect(groups.nth(0)).to_have_class(re.compile(r"\bolder\b"))
        await expect(groups.nth(1)).not_to_have_class(re.compile(r"\bolder\b"))

        await groups.nth(0).get_by_role("button", name="The old one").click()
        await expect(log.locator(".message.mine")).to_have_text(re.compile("The old one"))
        await expect(log.locator(".message.mine.pending")).to_have_count(0)
        await expect(groups.nth(0).get_by_role("button", name="The old one")).to_be_enabled()
        tapped = (await assistant_messages(page, served.url))[2]
        assert (tapped["kind"], tapped["body"]) == (
            "quick_reply",
            {"text": "The old one", "payload": "say:old"},
        )


# -- the empty assistant conversation -----------------------------------------------------


async def test_the_empty_assistant_conversation_suggests_questions_in_the_ui_language(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Nora")
        await page.get_by_role("button", name="Deutsch").click()
        await open_assistant(page, "Assistent")
        suggestions = page.get_by_role("group", name="Das kannst du fragen")
        await expect(suggestions.get_by_role("button")).to_have_text(
            [
                "Wie ist mein Kontostand?",
                "Was habe ich letzten Monat ausgegeben?",
                "Bank verbinden",
            ]
        )

        await suggestions.get_by_role(
            "button", name="Was habe ich letzten Monat ausgegeben?"
        ).click()
        await expect(suggestions).to_be_hidden()
        first = (await assistant_messages(page, served.url))[0]
        assert (first["kind"], first["body"]) == (
            "text",
            {"text": "Was habe ich letzten Monat ausgegeben?"},
        )


async def test_suggestions_go_once_the_conversation_has_a_message(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Otto")
        await open_assistant(page)
        suggestions = page.get_by_role("group", name="Things to ask")
        await expect(suggestions.get_by_role("button", name="What is my balance?")).to_be_visible()
        await post_as_assistant(served, page, "text", {"text": "Hello Otto!"})
        await expect(suggestions).to_be_hidden()
        await page.reload()
        await expect(page.get_by_role("log")).to_contain_text("Hello Otto!")
        await expect(page.get_by_role("group", name="Things to ask")).to_be_hidden()


# -- with the assistant answering ---------------------------------------------------------


@pytest.mark.usefixtures("needs_assistant")
async def test_the_assistant_answers_a_german_balance_question_with_a_german_card(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Paula")
        await link_bank(page, NORDBANK)
        log = await open_assistant(page)
        await say(page, "Wie ist mein Kontostand?")

        article = log.get_by_role("article").last
        await expect(article).to_be_visible(timeout=ANSWER_MS)
        await expect(article).to_have_attribute("lang", "de")
        values = article.locator(".line-value, .card-total .card-figure")
        await expect(values.first).to_be_visible()
        # A total holds one sum per currency, joined by " · ".
        shown = [part for value in await values.all_inner_texts() for part in value.split(" · ")]
        for amount in shown:
            assert GERMAN_EUROS.match(amount.strip()), amount


@pytest.mark.usefixtures("needs_assistant")
async def test_the_assistants_privacy_button_lands_on_the_privacy_center(
    served: Served, open_page: PageOpener
) -> None:
    async with open_page() as page:
        await sign_up(page, served.url, "Quirin")
        await link_bank(page, NORDBANK)
        log = await open_assistant(page)
        await say(page, "Wer hat meine Daten gelesen?")

        to_privacy = log.locator('.quick-replies a[href="#/privacy"]').last
        await expect(to_privacy).to_be_visible(timeout=ANSWER_MS)
        await to_privacy.click()
        await expect(page.get_by_role("heading", name="Privacy center")).to_be_visible()
        await expect(page.get_by_role("table", name="Who read what, and why")).to_be_visible()
