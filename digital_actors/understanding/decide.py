"""The offline decision: does this utterance fire this signal? The one rule play and the corpus share.

Play (the session's keyword fast path, and the whole decision with no model) and the
understanding corpus (``scene/corpus.py``) both call ``offline_fires``, so a corpus score
is a measurement of what a player gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from digital_actors.scene.model import Signal
from digital_actors.understanding.analysis import Utterance, analyse
from digital_actors.understanding.matching import Match, find_keyword, is_placeholder
from digital_actors.understanding.names import find_name

NAME_PLACEHOLDER = "{name}"


@dataclass(frozen=True, slots=True)
class Context:
    """What the player's line answers. ``name_asked``: the character's last line asked for a name."""

    name_asked: bool = False


def offline_fires(signal: Signal, utterance: str | Utterance, context: Context | None = None) -> Match | None:
    """The match that fires ``signal`` for ``utterance`` (its keywords, asserted), or None.

    A ``{name}`` keyword fires when the player gives their own name in any common form
    (``names.find_name``); the match then spans the name.
    """
    u = utterance if isinstance(utterance, Utterance) else analyse(utterance)
    match = find_keyword(u, signal.keywords, strength="asserted")
    if match is not None or not any(is_placeholder(k) and k.strip() == NAME_PLACEHOLDER for k in signal.keywords):
        return match
    name = find_name(u.text, asked=(context or Context()).name_asked)
    if name is None:
        return None
    start = u.text.find(name.split()[0]) if name.split()[0] in u.text else u.text.lower().find(name.split()[0].lower())
    start = max(start, 0)
    return Match(NAME_PLACEHOLDER, (start, start + len(name)), name, False, False)
