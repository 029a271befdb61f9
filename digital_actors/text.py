"""Small text helpers shared by signals and the understudy: normalising and keyword matching."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
        if keyword.strip().startswith("{") and keyword.strip().endswith("}"):
            continue
        needle = normalize(keyword)
        if needle and f" {needle} " in haystack and (best is None or len(needle) > len(best)):
            best = needle
    return best
