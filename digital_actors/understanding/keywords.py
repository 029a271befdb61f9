"""What kind of thing a keyword is, because that decides what may surround it.

- A **claim** states something or tells someone to do something ("i did it", "case closed",
  "it's your fault", "take your time"): it counts only when asserted, so a question
  ("Case closed?"), a condition ("if I did it") or a guess ("I might have done it") does not
  make it. A claim phrased as a question ("are you okay", "who else knew") is a question.
- A **speech act** is done by saying it ("hello", "thanks", "sorry", "please"): it counts at
  the start or the end of a clause, and as a question only alone ("Hello?").
- A **thing** names something ("egg", "the photograph", "your daughter"): asking about it
  still raises it ("is it an egg?", "what about the photograph?"), so questions and guesses
  count; negation ("not an egg"), quotation and sarcasm still do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from digital_actors.understanding import lexicon as lx
from digital_actors.understanding.words import keyword_words

KeywordKind = Literal["claim", "speech", "thing"]


@dataclass(frozen=True, slots=True)
class Keyword:
    """A keyword as written, its normalised words, its kind, and whether it is itself a question."""

    text: str
    words: tuple[str, ...]
    kind: KeywordKind
    interrogative: bool


@lru_cache(maxsize=4096)
def parse_keyword(text: str) -> Keyword:
    words = keyword_words(text)
    return Keyword(text, words, _kind(words), _interrogative(words))


def _interrogative(words: tuple[str, ...]) -> bool:
    """ "are you okay", "who else knew": the keyword asks, so a question is what it expects."""
    if not words:
        return False
    return words[0] in lx.WH_ALWAYS or (words[0] in lx.WH_WITH_AUX and len(words) > 1) or (
        words[0] in lx.AUXILIARIES and len(words) > 1)


def _kind(words: tuple[str, ...]) -> KeywordKind:
    if not words:
        return "thing"
    if " ".join(words) in lx.SPEECH_ACTS or words[0] in lx.SPEECH_OPENERS:
        return "speech"
    if _interrogative(words):
        return "claim"
    for word in words:
        if (word in lx.PRONOUN_SUBJECTS or word in lx.AUXILIARIES or word in lx.NEGATORS
                or word in lx.IRREGULAR_PAST or _inflected(word)):
            return "claim"
    if words[0] in lx.IMPERATIVES or (len(words) > 1 and words[0] in lx.PREPOSITIONS):
        return "claim"
    return "thing"


def _inflected(word: str) -> bool:
    """A past tense or participle ("closed", "tracing"): the keyword has a verb in it."""
    return len(word) > 4 and (word.endswith("ed") or word.endswith("ing")) and not word.endswith("eed")
