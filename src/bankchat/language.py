"""The languages a person reads bankchat in (DESIGN.md: German and English everywhere a
person reads text): a person's preferred language, the language the NLU understands and
the assistant answers in, and the language of the privacy center's wording all take
these values. Imports nothing, so every part (the NLU included) can use it."""

from __future__ import annotations

from typing import Final, Literal

Language = Literal["de", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("de", "en")
