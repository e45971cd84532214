"""What the words of a transaction question say besides its entities: the comparator
written before an amount ("über 50 €", "under $20") and the direction (money in or out).

They are read from the message once and then kept with its entities, in the dialogue
state too, so paging and follow-ups filter the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from bankchat.assistant.nlu.result import Entities

Comparator = Literal["gt", "ge", "lt", "le", "eq"]
Direction = Literal["in", "out"]

# Words before an amount, longest first so "mehr als" wins over "als".
_COMPARATORS: Final[tuple[tuple[str, Comparator], ...]] = (
    ("mindestens", "ge"),
    ("wenigstens", "ge"),
    ("at least", "ge"),
    ("no less than", "ge"),
    ("ab", "ge"),
    ("höchstens", "le"),
    ("maximal", "le"),
    ("at most", "le"),
    ("no more than", "le"),
    ("bis zu", "le"),
    ("up to", "le"),
    ("mehr als", "gt"),
    ("größer als", "gt"),
    ("more than", "gt"),
    ("greater than", "gt"),
    ("larger than", "gt"),
    ("bigger than", "gt"),
    ("higher than", "gt"),
    ("über", "gt"),
    ("ueber", "gt"),
    ("over", "gt"),
    ("above", "gt"),
    ("weniger als", "lt"),
    ("kleiner als", "lt"),
    ("less than", "lt"),
    ("smaller than", "lt"),
    ("lower than", "lt"),
    ("unter", "lt"),
    ("under", "lt"),
    ("below", "lt"),
)
_COMPARATOR_PATTERN: Final = re.compile(
    r"(?<!\w)("
    + "|".join(re.escape(w) for w, _ in sorted(_COMPARATORS, key=lambda c: -len(c[0])))
    + r")(?!\w)\s*[$€£]?\s*\d"
)
_COMPARATOR_OF: Final = dict(_COMPARATORS)

_INCOMING: Final = re.compile(
    r"(?<!\w)(eingänge|eingang|eingegangen|gutschrift\w*|einnahmen|bekommen|erhalten|"
    r"eingezahlt|incoming|received|receive|credits?|deposits?|(?:get|got|gets|getting) paid|"
    r"money in|income)(?!\w)"
)
_OUTGOING: Final = re.compile(
    r"(?<!\w)(ausgänge|ausgang|ausgaben|abbuchung\w*|lastschrift\w*|abgebucht|bezahlt|"
    r"gezahlt|überwiesen|outgoing|spent|spend|paid|debits?|charges?|money out)(?!\w)"
)


def comparator_in(text: str) -> Comparator | None:
    """The comparator written before an amount, if any."""
    match = _COMPARATOR_PATTERN.search(text.casefold())
    return _COMPARATOR_OF[match.group(1)] if match else None


def direction_in(text: str) -> Direction | None:
    """Incoming or outgoing, if the words say so (and not both)."""
    lowered = text.casefold()
    # "got paid" is money in: what the incoming words explain is not read again.
    rest, found_incoming = _INCOMING.subn(" ", lowered)
    incoming, outgoing = found_incoming > 0, bool(_OUTGOING.search(rest))
    if incoming == outgoing:
        return None
    return "in" if incoming else "out"


@dataclass(frozen=True, slots=True)
class Hints:
    """The comparator (only ever with an amount) and the direction of a question."""

    comparator: Comparator | None = None
    direction: Direction | None = None

    @classmethod
    def read(cls, text: str, entities: Entities) -> Hints:
        """The comparator (when the entities hold an amount) and the direction in ``text``."""
        comparator = comparator_in(text) if entities.amount is not None else None
        return cls(comparator, direction_in(text))

    def to_json(self) -> dict[str, str]:
        """``comparator`` and ``direction``, only those present."""
        found: dict[str, str] = {}
        if self.comparator is not None:
            found["comparator"] = self.comparator
        if self.direction is not None:
            found["direction"] = self.direction
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Hints:
        """The hints of ``to_json``'s form; other keys, and values it never writes, are none."""
        comparator, direction = data.get("comparator"), data.get("direction")
        return cls(
            comparator if comparator in get_args(Comparator) else None,
            direction if direction in get_args(Direction) else None,
        )


#: A question whose words say neither.
NO_HINTS: Final = Hints()
