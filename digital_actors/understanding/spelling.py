"""When a word the player typed may stand for a keyword's word: a small typo, never another word.

From five letters on, a keyword's word forgives one edit (two from nine letters) with the first
letter right, so "confes" finds "confess". But a typed word that is itself a common English
word was meant as that word: "hell" is not "hello", "Harry" is not "hurry", "shall" is not
"shell". Such a word still stands for the keyword when it is another form of it ("vent" for
"vents", "changes" for "changed", "breath" for "breathe") or the other side's spelling
("apologize" for "apologise").

The common words are the 20,000 most frequent of SymSpell's English frequency list
(``common_words.txt``, MIT). Measured over the 538 keyword words of five letters or more in the
built-in scenes: of the other words within a forgiven edit of one (1,527 pairs), the list holds
those that make 98.6% of their use in English; of the 38,757 single-key typos of those words
(a letter dropped, doubled, swapped, or a neighbouring key), 0.6% are common words and are no
longer forgiven. 10,000 words: 95.1% and 0.4%; 30,000: 99.4% and 0.75%.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from rapidfuzz.distance import OSA

_SIBILANT_ENDS = ("s", "x", "z", "ch", "sh", "o")  # "-es" plurals and third persons follow these
# British and American spellings of one word: "colour"/"color", "apologise"/"apologize".
_SPELLINGS = (("our", "or"), ("ise", "ize"), ("isation", "ization"), ("yse", "yze"), ("tre", "ter"),
              ("ogue", "og"), ("ence", "ense"))


@cache
def common_words() -> frozenset[str]:
    """The common English words (lower case) that a player types on purpose."""
    text = files(__package__).joinpath("common_words.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def allowance(word: str) -> int:
    """Edits forgiven in a word of this length: none up to four letters, one to eight, then two."""
    return 0 if len(word) <= 4 else 1 if len(word) <= 8 else 2


def typo_distance(keyword_word: str, word: str) -> int | None:
    """The edits forgiven to read ``word`` as ``keyword_word``, or None when it is another word."""
    limit = allowance(keyword_word)
    if not limit or len(word) < 4 or word[0] != keyword_word[0] or not word.isalpha():
        return None
    distance = OSA.distance(keyword_word, word, score_cutoff=limit)
    if distance > limit:
        return None
    if word in common_words() and not (same_lemma(keyword_word, word) or same_spelling(keyword_word, word)):
        return None
    return distance


def _bases(word: str) -> set[str]:
    """The word and what it may be a regular form of: "changes" -> change; "tried" -> try."""
    out = {word}
    if word.endswith("s") and not word.endswith("ss"):
        out.add(word[:-1])
        if word.endswith("es") and word[:-2].endswith(_SIBILANT_ENDS):
            out.add(word[:-2])
        if word.endswith("ies"):
            out.add(word[:-3] + "y")
    if word.endswith("ed"):
        out |= {word[:-1], word[:-2]}
        if word.endswith("ied"):
            out.add(word[:-3] + "y")
    if word.endswith("ing"):
        out |= {word[:-3], word[:-3] + "e"}
    if word.endswith("e") and word[:-1].endswith("th"):
        out.add(word[:-1])  # "breathe", "bathe", "clothe": the verb of the noun
    return {b for b in out if len(b) >= 3}


def same_lemma(a: str, b: str) -> bool:
    """Whether two words are regular forms of one word ("vent"/"vents", "changes"/"changed")."""
    return bool(_bases(a) & _bases(b))


def same_spelling(a: str, b: str) -> bool:
    """Whether two words are one word spelled the British and the American way."""
    return any(_american(a, british, american) == _american(b, british, american) for british, american in _SPELLINGS)


def _american(word: str, british: str, american: str) -> str:
    """The word with its British ending made American; from its third letter on, so "fourth" stays."""
    at = word.find(british, 2)
    return word if at < 0 else word[:at] + american + word[at + len(british):]
