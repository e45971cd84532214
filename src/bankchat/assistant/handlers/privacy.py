"""privacy_access_log, export_data and delete_data: the person's latest accesses in plain
words (the privacy center's own wording), a plain factual answer to "do you use my data for
ads / sell it?", and what export and erasure do, each with the way to the privacy center.
Exporting and erasing stay decisions the person makes there."""

from __future__ import annotations

import re
from typing import Final

from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.handlers.connections import PRIVACY_PAGE
from bankchat.privacy import access_log

LOG_ENTRIES: Final = 5
# Questions about advertising, selling or passing data on get the facts first.
_ADS_QUESTION: Final = re.compile(
    r"(werb\w*|reklame|marketing|verkauf\w*|verkauft|weitergegeben|weitergeben|weiter ?geben|"
    r"dritte\w*|partner\w*|\bads?\b|advert\w*|sell\w*|sold|third.part\w*|share[sd]?\b|"
    r"sharing|pass(ed|ing)? on)",
    re.IGNORECASE,
)


def asks_about_ads(text: str) -> bool:
    return bool(_ADS_QUESTION.search(text))


def _privacy_button(turn: Turn) -> list[tuple[str, str]]:
    return [(turn.t("privacy.button"), PRIVACY_PAGE)]


async def privacy_access_log(turn: Turn) -> Reply:
    reply = Reply(turn)
    if asks_about_ads(turn.text):
        reply.say("privacy.no_ads")
    entries = await turn.platform.vault.access_log(
        turn.tx.session, person_id=turn.person_id, limit=LOG_ENTRIES
    )
    if not entries:
        return reply.say("privacy.log_empty").buttons(_privacy_button(turn))

    name_of = turn.platform.banks.name_of
    lines = [
        f"• {access_log.when(e, turn.language)}: {access_log.describe(e, turn.language, name_of)}"
        for e in entries
    ]
    reply.say_text(turn.t("privacy.log_intro") + "\n" + "\n".join(lines))
    return reply.buttons(_privacy_button(turn))


async def export_data(turn: Turn) -> Reply:
    return Reply(turn).say("export.explain").buttons(_privacy_button(turn))


async def delete_data(turn: Turn) -> Reply:
    return Reply(turn).say("delete.explain").buttons(_privacy_button(turn))
