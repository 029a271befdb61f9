"""Reading the player's own words, offline: the name they gave, kind words and harsh words.

Deliberately small word lists; a configured model can do better, these keep the offline
game honest. Matching is on whole words, case-insensitive.
"""

from __future__ import annotations

import re

from digital_actors.understanding.names import find_name

_KIND = re.compile(
    r"\b(please|thanks|thank\s+you|thank\s+u|ty|sorry|you\s+can\s+do\s+(?:it|this)|"
    r"you're\s+doing\s+(?:great|well|fine)|well\s+done|good\s+job|i'm\s+here|we'll\s+make\s+it|"
    r"stay\s+calm|take\s+your\s+time|don't\s+worry|i\s+trust\s+you|i\s+believe\s+in\s+you)\b",
    re.I,
)
_HARSH = re.compile(
    r"\b(shut\s+up|idiot|stupid|moron|useless|pathetic|hurry\s+up|whatever|"
    r"i\s+don't\s+care|dumb|loser|be\s+quiet|get\s+on\s+with\s+it|you're\s+worthless)\b",
    re.I,
)


def detect_name(lines: list[str] | tuple[str, ...]) -> str | None:
    """The name the player gave for themselves, or None. The last one given wins (corrections).

    ``understanding.names`` reads each line (every common way of giving a name, and the
    lookalikes that are not one); this keeps the memory's one-call view over a whole attempt.
    """
    found: str | None = None
    for line in lines:
        found = find_name(line) or found
    return found


def count_kind(text: str) -> int:
    """How many kind or encouraging phrases a line holds."""
    return len(_KIND.findall(text))


def count_harsh(text: str) -> int:
    """How many harsh or dismissive phrases a line holds."""
    return len(_HARSH.findall(text))
