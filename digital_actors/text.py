"""Small text helpers shared by signals and the understudy: normalising and keyword matching."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE = "{", "}"
NAME_PLACEHOLDER = "{name}"  # a keyword: the player gives their own name (understanding/names.py)
TerseKind = Literal["yes", "no", "what"]
# Keywords that are a whole line: a bare acknowledgement, refusal or question (understanding/terse.py).
TERSE_PLACEHOLDERS: dict[str, TerseKind] = {"{yes}": "yes", "{no}": "no", "{what}": "what"}
PLACEHOLDERS = frozenset({NAME_PLACEHOLDER, *TERSE_PLACEHOLDERS})
TAG = re.compile(r"\[([A-Za-z][A-Za-z ,\-']{0,40})\]")  # an audio tag: [sighs], [static]
MAX_TAG_CHARS = 41  # the longest tag content TAG accepts
_TAG_SPACES = re.compile(r"[ \t]{2,}")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower case, plain apostrophes, punctuation turned into spaces, spaces collapsed."""
    text = text.translate(_APOSTROPHES).lower()
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def keyword_hit(text: str, keywords: Iterable[str]) -> str | None:
    """The longest keyword found in ``text`` as whole words (case and punctuation ignored).

    A placeholder such as ``{name}`` stands for something recognised another way
    (``digital_actors.understanding``), never for the word inside the braces.
    """
    haystack = f" {normalize(text)} "
    best: str | None = None
    for keyword in keywords:
        if is_placeholder(keyword):
            continue
        needle = normalize(keyword)
        if needle and f" {needle} " in haystack and (best is None or len(needle) > len(best)):
            best = needle
    return best


def strip_tags(text: str) -> str:
    """Text for display: every ``[tag]`` removed and the spacing mended."""
    # Only the gap a removed tag leaves is mended: "Wait [sighs], no" -> "Wait, no", while
    # the writer's own spacing ("homicide? ...Good") is kept.
    out = TAG.sub("\x00", text)
    out = re.sub(r"[ \t]*\x00[ \t]*([,.!?;:])", r"\1", out)
    out = re.sub(r"[ \t]*\x00[ \t]*", " ", out)
    out = _TAG_SPACES.sub(" ", out)
    return out.strip()


def is_placeholder(keyword: str) -> bool:
    """ "{name}": a keyword that stands for something recognised another way, not for words."""
    text = keyword.strip()
    return text.startswith(PLACEHOLDER_OPEN) and text.endswith(PLACEHOLDER_CLOSE)
