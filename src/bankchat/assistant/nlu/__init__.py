"""Understanding what people write, in German and English: language, intent (a trained
model) and entities (rules), in the form DESIGN.md's NLU contract fixes.

``Nlu`` and ``load_nlu`` are imported on first use: they pull in scikit-learn, which every
other ``bankchat`` command would otherwise pay for at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.result import Parse

if TYPE_CHECKING:
    from bankchat.assistant.nlu.pipeline import Nlu, load_nlu

__all__ = ["Intent", "Nlu", "Parse", "load_nlu"]

_LAZY = frozenset({"Nlu", "load_nlu"})


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from bankchat.assistant.nlu import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
