"""link_account and unlink_account: a button into the linking flow (the bank's own login
happens there, never in the chat), and ending a connection after the person picked it and
confirmed. Also the answer to any data question while no bank is linked."""

from __future__ import annotations

import logging
from dataclasses import replace

from bankchat.assistant import cards
from bankchat.assistant.handlers import bank_data
from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.nlu.result import Entities
from bankchat.assistant.state import Pending, ask_confirmation, ask_slot
from bankchat.banking import flows
from bankchat.banking import service as banking
from bankchat.errors import NotFound

logger = logging.getLogger(__name__)

LINK_PAGE = "open:#/link"
PRIVACY_PAGE = "open:#/privacy"


def link_payload(bank_id: str | None) -> str:
    return f"{LINK_PAGE}?bank={bank_id}" if bank_id else LINK_PAGE


async def link_account(turn: Turn) -> Reply:
    reply = Reply(turn)
    written = turn.entities.bank
    bank_id = bank_data.registry_bank_id(turn.platform, written) if written is not None else None
    if bank_id is not None:
        reply.say("link.start_bank", bank=turn.platform.banks.name_of(bank_id))
        label = turn.t("link.button_bank", bank=turn.platform.banks.name_of(bank_id))
    else:
        reply.say("link.start")
        label = turn.t("link.button")
    return reply.buttons([(label, link_payload(bank_id))])


async def no_bank(turn: Turn) -> Reply:
    """A data question while nothing is linked: the way to link."""
    return Reply(turn).say("link.needed").buttons([(turn.t("link.button"), LINK_PAGE)])


async def _valid_connections(turn: Turn) -> list[dict[str, str]]:
    """The person's live connections as {"id", "name"} (name: the bank's)."""
    found = await banking.list_connections(turn.tx.session, turn.person_id)
    return [
        {"id": c.id, "name": turn.platform.banks.name_of(c.bank_id), "bank": c.bank_id}
        for c in found
        if banking.is_valid(c)
    ]


def _named(options: list[dict[str, str]], written: str) -> list[dict[str, str]]:
    return [o for o in options if bank_data.bank_matches(written, o["bank"], o["name"])]


def _ask_which(
    turn: Turn, options: list[dict[str, str]], entities: Entities, attempts: int
) -> Reply:
    state = ask_slot(
        turn.state,
        "unlink_account",
        entities,
        "connection",
        turn.now,
        options=options,
        attempts=attempts,
    )
    return (
        Reply(turn, state)
        .say("unlink.which")
        .buttons([(o["name"], f"say:{o['name']}") for o in options])
    )


def _confirm(turn: Turn, option: dict[str, str]) -> Reply:
    state, pending = ask_confirmation(turn.state, "unlink_account", option, turn.now)
    reply = Reply(turn, state)
    reply.card(
        cards.card(
            "confirmation",
            turn.t("unlink.confirm_title"),
            [cards.row(option["name"], detail=turn.t("unlink.confirm_detail"))],
            turn.language,
            footer=turn.t("unlink.confirm_footer"),
        )
    )
    return reply.buttons(
        [
            (turn.t("unlink.confirm_yes"), f"confirm:{pending.id}"),
            (turn.t("unlink.confirm_no"), f"cancel:{pending.id}"),
        ],
        prompt=turn.t("unlink.confirm_prompt", bank=option["name"]),
    )


async def unlink_account(turn: Turn) -> Reply:
    options = await _valid_connections(turn)
    if not options:
        return Reply(turn).say("unlink.nothing_linked")
    written = turn.entities.bank
    if written is not None:
        named = _named(options, written)
        if len(named) == 1:
            return _confirm(turn, named[0])
        if not named:
            reply = Reply(turn).say("unlink.not_linked", bank=written)
            if len(options) == 1:
                return reply
            return _ask_which(turn, options, Entities(), 0)
    if len(options) == 1:
        return _confirm(turn, options[0])
    return _ask_which(turn, options, Entities(), 0)


async def fill_connection(turn: Turn, pending: Pending) -> Reply:
    """The answer to "which bank?": the bank entity, else the words as written."""
    written = turn.entities.bank
    named = _named(pending.options, written if written is not None else turn.text)
    if len(named) == 1:
        return _confirm(replace(turn, state=replace(turn.state, pending=None)), named[0])
    if pending.attempts >= 1:
        return Reply(turn, replace(turn.state, pending=None)).say("unlink.gave_up")
    return _ask_which(turn, pending.options, pending.entities, pending.attempts + 1)


async def confirmed_unlink(turn: Turn, pending: Pending) -> Reply:
    """End the confirmed connection in the turn's unit of work; the bank is told, and the
    chat notified, once it commits."""
    if pending.chosen is None:
        raise ValueError("a confirmation to unlink names its connection")
    connection_id, name = pending.chosen["id"], pending.chosen.get("name", "")
    reply = Reply(turn, replace(turn.state, pending=None))
    try:
        await flows.revoke(
            turn.platform, turn.tx, person_id=turn.person_id, connection_id=connection_id
        )
    except (banking.ConnectionInactive, NotFound):
        return reply.say("unlink.already_ended", bank=name)
    return reply.say("unlink.done", bank=name)
