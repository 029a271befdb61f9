"""Understanding a player's own words, offline: what they assert, the name they give.

Pure functions over text (and the scene model): no storage, no voice, no models, no session.

- ``analyse(text)``: clauses, negation, questions, hypotheticals, quotation, sarcasm.
- ``find_keyword(text, keywords, strength=...)``: the best keyword match at a strength.
- ``offline_fires(signal, text, context)``: the offline decision for one signal.
- ``decisive_signals(scene)``: the signals that decide how the scene ends.
- ``find_name(text, asked=...)``, ``asks_for_name(line)``: the name the player gives.
- ``terse_kind(text)``: "yes", "no" or "what" for a line that is only that ("ok", "nope", "huh?").
"""

from __future__ import annotations

from digital_actors.text import NAME_PLACEHOLDER, TERSE_PLACEHOLDERS, TerseKind
from digital_actors.understanding.analysis import Utterance, analyse
from digital_actors.understanding.decide import Context, offline_fires
from digital_actors.understanding.decisive import decisive_signals
from digital_actors.understanding.matching import Match, Strength, find_keyword
from digital_actors.understanding.names import asks_for_name, find_name
from digital_actors.understanding.terse import terse_kind

__all__ = [
    "NAME_PLACEHOLDER", "TERSE_PLACEHOLDERS", "Context", "Match", "Strength", "TerseKind", "Utterance", "analyse",
    "asks_for_name", "decisive_signals", "find_keyword", "find_name", "offline_fires", "terse_kind",
]
