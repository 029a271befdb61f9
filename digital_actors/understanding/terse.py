"""Terse lines, read whole: a bare acknowledgement, a bare refusal, a bare question.

Players often answer in a word: "ok", "yeah, got it", "nope", "what?", "why", "go on".
A keyword cannot say what such a line means: ``"ok"`` as a keyword also finds "are they going
to be ok?", ``"what"`` finds every question, and ``"no"`` is a negator. So a terse line is
recognised as a whole: every word of it belongs to a phrase of the lists below (fillers such as
"oh", "um" and a form of address such as "sir" aside), and the phrases say which kind it is.
The analysis still counts: an acknowledgement or a refusal asked ("ok?", "yes?", "no?") is a
question, and the sarcastic ones ("yeah right", "oh sure") refuse.

Scenes answer terse lines with the placeholders ``{yes}``, ``{no}`` and ``{what}`` in signal and
reply keywords (``text.TERSE_PLACEHOLDERS``; ``matching.find_keyword`` finds them); a terse line
nothing answers gets the phase's steering line, like any other words nothing answers
(``actors/understudy.py``).
"""

from __future__ import annotations

from typing import Literal

from digital_actors.text import TerseKind
from digital_actors.understanding.analysis import Utterance, analyse
from digital_actors.understanding.words import keyword_words

_YES = (
    "okay", "yes", "yeah", "yep", "yup", "ya", "yea", "aye", "sure", "fine", "alright", "all right",
    "right", "cool", "good", "great", "nice", "perfect", "understood", "got it", "gotcha", "i see",
    "i understand", "i get it", "will do", "on it", "i am on it", "copy", "copy that", "roger",
    "roger that", "sounds good", "makes sense", "of course", "absolutely", "definitely", "certainly",
    "agreed", "deal", "done", "affirmative", "yes please", "sure thing", "fair enough", "whatever",
    "if you say so", "go ahead", "very well", "no problem", "no worries", "fine by me", "works for me",
)
_NO = (
    "no", "nope", "nah", "no way", "not really", "no thanks", "no thank you", "never", "not now",
    "not yet", "negative", "absolutely not", "definitely not", "of course not", "no chance",
    "not a chance", "i do not think so", "i would rather not", "hell no", "yeah right", "oh sure",
    "as if", "oh totally", "sure sure", "in your dreams", "dream on", "get real",
)
_WHAT = (
    "what", "huh", "eh", "pardon", "pardon me", "come again", "say again", "say that again",
    "what do you mean", "what did you say", "meaning", "you what", "say what", "wait what", "why",
    "how", "who", "where", "when", "which", "how so", "and", "and then", "so", "then what", "go on",
    "continue", "keep going", "tell me more", "such as", "like what", "really", "seriously",
)
# Only a question when asked: "Sorry?" asks for the line again, "Sorry." apologises.
_ASKED = ("sorry", "excuse me")
_FILLER = (
    "oh", "um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mmm",
    "well", "ooh", "lol", "haha", "then", "just", "sir", "madam", "maam", "mate", "man", "dude",
    "boss", "chief", "captain", "doc", "detective", "commander", "love", "buddy", "pal", "friend",
    "master", "miss",
)

_Kind = Literal["yes", "no", "what", "asked", "filler"]


def _table() -> dict[tuple[str, ...], _Kind]:
    table: dict[tuple[str, ...], _Kind] = {}
    groups: tuple[tuple[_Kind, tuple[str, ...]], ...] = (
        ("filler", _FILLER), ("yes", _YES), ("no", _NO), ("what", _WHAT), ("asked", _ASKED))
    for kind, phrases in groups:
        for phrase in phrases:
            table[keyword_words(phrase)] = kind
    return table


_PHRASES = _table()
_LONGEST = max(len(p) for p in _PHRASES)


def terse_kind(text: str | Utterance) -> TerseKind | None:
    """``"yes"``, ``"no"`` or ``"what"`` when the whole line is only that, else None.

    Mixed lines take the kind of their last phrase ("no... why?" asks, "what? no way" refuses);
    a hesitation alone ("hmm", "um") is nothing, unless it is asked ("Hmm?").
    """
    u = text if isinstance(text, Utterance) else analyse(text)
    words = [w.text for w in u.words]
    kinds: list[TerseKind] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST, len(words) - i), 0, -1):
            kind = _PHRASES.get(tuple(words[i:i + size]))
            if kind is not None:
                break
        else:
            return None  # a word that is none of these: the line says something
        question = u.clause(i).question
        if kind == "asked":
            if not question:
                return None
            kinds.append("what")
        elif kind != "filler":
            kinds.append("what" if question and kind in ("yes", "no") else kind)
        i += size
    if not kinds:
        return "what" if words and u.clauses[-1].question else None
    return kinds[-1]

