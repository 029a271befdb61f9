"""The offline decision: does this utterance fire this signal? The one rule play and the corpus share.

Play (the session's keyword fast path, and the whole decision with no model) and the
understanding corpus (``scene/corpus.py``) both call ``offline_fires``, so a corpus score
is a measurement of what a player gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from digital_actors.scene.model import Signal
from digital_actors.text import NAME_PLACEHOLDER, is_placeholder
from digital_actors.understanding.analysis import Utterance, analyse
from digital_actors.understanding.matching import Match, find_keyword
from digital_actors.understanding.names import locate_name


@dataclass(frozen=True, slots=True)
class Context:
    """What the player's line answers. ``name_asked``: the character's last line asked for a name."""

    name_asked: bool = False


def offline_fires(signal: Signal, utterance: str | Utterance, context: Context | None = None) -> Match | None:
    """The match that fires ``signal`` for ``utterance`` (its keywords, asserted), or None.

    A ``{name}`` keyword fires when the player gives their own name in any common form
    (``names.find_name``); the match then spans the name, and wins over the other keywords.
    ``{yes}``, ``{no}`` and ``{what}`` fire for a whole line that is only that (``terse.py``).
    """
    u = utterance if isinstance(utterance, Utterance) else analyse(utterance)
    if any(is_placeholder(k) and k.strip() == NAME_PLACEHOLDER for k in signal.keywords):
        found = locate_name(u.text, asked=(context or Context()).name_asked)
        if found is not None:
            return Match(NAME_PLACEHOLDER, found.span, u.text[found.span[0]:found.span[1]], False, False)
    return find_keyword(u, signal.keywords, strength="asserted")
