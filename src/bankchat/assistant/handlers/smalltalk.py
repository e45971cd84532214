"""greet, help, thanks, goodbye, out_of_scope, and affirm/deny with nothing pending: short
replies with buttons of things to try."""

from __future__ import annotations

from bankchat.assistant.handlers.base import DEFAULT_SUGGESTIONS, Reply, Turn, suggestions


async def greet(turn: Turn) -> Reply:
    return Reply(turn).say("greet.reply").buttons(suggestions(turn, DEFAULT_SUGGESTIONS))


async def help_(turn: Turn) -> Reply:
    return (
        Reply(turn)
        .say("help.reply")
        .buttons(suggestions(turn, ("balance", "spending", "transactions", "privacy", "link")))
    )


async def thanks(turn: Turn) -> Reply:
    return Reply(turn).say("thanks.reply").buttons(suggestions(turn, ("balance", "spending")))


async def goodbye(turn: Turn) -> Reply:
    return Reply(turn).say("goodbye.reply")


async def out_of_scope(turn: Turn) -> Reply:
    return Reply(turn).say("out_of_scope.reply").buttons(suggestions(turn, DEFAULT_SUGGESTIONS))


async def nothing_pending(turn: Turn) -> Reply:
    """A yes or no with no question open."""
    return Reply(turn).say("nothing_pending.reply").buttons(suggestions(turn, DEFAULT_SUGGESTIONS))
