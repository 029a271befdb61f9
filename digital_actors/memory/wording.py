"""Reading the player's own words, offline: the name they gave, kind words and harsh words.

Deliberately small word lists; a configured model can do better, these keep the offline
game honest. Matching is on whole words, case-insensitive.
"""

from __future__ import annotations

import re

_NAME = r"([A-Za-z][A-Za-z'\-]{0,23})"
# "my name is X", "my name's X", "call me X" are unambiguous: any case is accepted.
_EXPLICIT = re.compile(rf"\b(?:my\s+name\s+is|my\s+name's|call\s+me|the\s+name's)\s+{_NAME}", re.I)
# "I'm X" / "I am X" / "this is X" are often adjectives ("I'm scared"): the word must be
# capitalised as written and not a common word.
_CASUAL = re.compile(rf"\b(?:[Ii]'m|[Ii]\s+am|[Ii]m|[Tt]his\s+is|[Ii]t's)\s+{_NAME}")

_NOT_NAMES = frozenset(
    """
a an the not so very really just here there back fine ok okay good great sorry scared afraid
sure ready done going trying coming leaving listening looking thinking working waiting telling
asking saying doing getting running on in at with from out up down almost nearly still also
only alone lost stuck trapped safe hurt tired cold hot hungry afraid worried nervous calm
happy sad angry confused serious kidding joking lying right wrong late early new old alive dead
what who how why when where yes no never always maybe one two three you your me my he she they
it we us them this that these those all both each every some any none nothing something
someone anyone everyone everything dying drowning freezing panicking fine afraid glad
""".split()
)

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
    """The name the player gave for themselves, or None. The last one given wins (corrections)."""
    found: str | None = None
    for line in lines:
        for match in _EXPLICIT.finditer(line):
            word = match.group(1)
            if word.lower() not in _NOT_NAMES:
                found = word[:1].upper() + word[1:]
        for match in _CASUAL.finditer(line):
            word = match.group(1)
            if word[:1].isupper() and word.lower() not in _NOT_NAMES:
                found = word
    return found


def count_kind(text: str) -> int:
    """How many kind or encouraging phrases a line holds."""
    return len(_KIND.findall(text))


def count_harsh(text: str) -> int:
    """How many harsh or dismissive phrases a line holds."""
    return len(_HARSH.findall(text))
