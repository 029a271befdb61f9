"""Audio tags such as ``[sighs]``: stripped from displayed text, kept for voices that perform them."""

from __future__ import annotations

import re

TAG = re.compile(r"\[([A-Za-z][A-Za-z \-']{0,40})\]")
_SPACES = re.compile(r"[ \t]{2,}")


def strip_tags(text: str) -> str:
    """Text for display: every ``[tag]`` removed and the spacing mended."""
    out = TAG.sub("", text)
    out = _SPACES.sub(" ", out)
    out = re.sub(r"\s+([,.!?;:])", r"\1", out)
    return out.strip()


def find_tags(text: str) -> list[str]:
    """The tags in a text, in order, without brackets."""
    return [m.group(1).strip() for m in TAG.finditer(text)]
