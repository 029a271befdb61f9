"""The name a player gives for themselves, in the ways people actually give one.

"My name is Sam", "call me Sam", "the name's Sam", "they call me Sam", "Sam's my name",
"I'm Sam", "Hi Maren, I'm Sam", "This is Sam", "Sam here", "It's Sam, Sam Reyes",
"Sam. Sam Reyes." and, when the character has just asked (``asked=True``), a bare "Sam."
The same shapes hold "I'm scared", "call me crazy", "this is bad" and "it's fine", so the
word after the phrase decides: it must not be a common word or a state (``namewords``), and
in the looser shapes ("I'm X", "this is X") the name must end its clause or be followed by
another name or a small linking word. Capitals count only where the writing uses them to
mark names: in ALL CAPS or Title Case Text they say nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digital_actors.understanding.namewords import NOT_NAMES, TITLES

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_TOKEN = re.compile(
    r"(?P<word>(?i:dr|mr|mrs|ms|mx|prof|capt|lt|sgt|det)\.|[^\W\d_]+(?:['\-][^\W\d_]+)*)"  # "Dr.", "O'Brien"
    r"|(?P<end>[.!?;]+|\n)|(?P<soft>[,:…()—–]|\s-\s)")
_INTERJECTIONS = frozenset({"um", "umm", "uh", "er", "erm", "oh", "well", "hi", "hello", "hey", "yes", "yeah",
                            "it's", "its", "ah", "hmm", "sure", "ok", "okay", "so"})
_STATE_ENDINGS = ("ing", "ed", "ly", "ful", "ous", "less")  # "drowning", "scared", "lonely", "careful"...
_CONTRACTED = frozenset({"m", "re", "ve", "ll", "d", "t", "s"})
_NOT_AFTER = frozenset({"don't", "dont", "not", "never", "what's", "whats"})  # "don't call me Sam"
_LINKERS = frozenset({"and", "but", "btw", "by", "from", "here", "too", "again", "speaking", "calling",
                      "the", "your", "so", "now", "then", "of", "lol", "haha", "nice", "pleased", "i",
                      "i'm", "im", "please", "thanks", "sir", "ma'am", "ok", "okay"})
_CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march
april june july august september october november december christmas easter""".split())
_ASKS = re.compile(
    r"\b(?:what(?:'s|\s+is|s)\s+your\s+name|your\s+name\b|what\s+(?:do|should|can|shall|may)\s+i\s+call\s+you"
    r"|who\s+(?:are|is)\s+(?:you|this)\b|who\s+am\s+i\s+(?:talking|speaking)\s+(?:to|with)"
    r"|introduce\s+yourself|(?:and\s+)?you\s+are\s*\?|name\s*\?)",
    re.IGNORECASE,
)

# Phrases (lower case, as tokens) before a name, with how much they vouch for what follows.
_EXPLICIT: tuple[tuple[str, ...], ...] = (
    ("my", "name", "is"), ("my", "name's"), ("my", "names"), ("the", "name's"), ("the", "name", "is"),
    ("name's",), ("call", "me"), ("calls", "me"), ("i'm", "called"), ("im", "called"), ("i", "am", "called"),
    ("i", "go", "by"), ("my", "name", "s"),
)
_CASUAL: tuple[tuple[str, ...], ...] = (("i'm",), ("im",), ("i", "am"), ("this", "is"), ("it's",), ("its",),
                                        ("it", "is"))
_NEEDS_ASKING = frozenset({("it's",), ("its",), ("it", "is")})


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str   # "word", "end", "soft"
    raw: str
    low: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NameFound:
    """A name the player gave, styled ("Sam Reyes"), and where it stands in the text."""

    name: str
    span: tuple[int, int]


def asks_for_name(line: str) -> bool:
    """Whether a character's line asks the player for their name ("What do I call you?")."""
    return bool(_ASKS.search(line.translate(_QUOTES)))


def find_name(text: str, *, asked: bool = False) -> str | None:
    """The name the player gives for themselves in ``text`` (the last one given), or None.

    ``asked``: the character has just asked for it, so a bare "Sam." or "it's Sam" is an answer.
    """
    found = locate_name(text, asked=asked)
    return found.name if found else None


def locate_name(text: str, *, asked: bool = False) -> NameFound | None:
    """``find_name`` with the name's span in ``text``."""
    toks = [_Tok(m.lastgroup or "", m.group(), m.group().lower(), m.start(), m.end())
            for m in _TOKEN.finditer(text.translate(_QUOTES))]
    words = [t for t in toks if t.kind == "word"]
    if not words:
        return None
    telling = _informative(text, words)
    found: tuple[int, list[_Tok]] | None = None
    for i in range(len(toks)):
        got = _at(toks, i, telling, asked)
        if got:
            found = (i, got)
    if found is None and (asked or _repeated(toks)):
        bare = _bare(toks, telling)
        found = (0, bare) if bare else None
    if found is None:
        return None
    start, name = found
    if len(name) == 1:
        name = _extended(toks, start, name, telling)
    return NameFound(" ".join(_styled(t.raw) for t in name), (name[0].start, name[-1].end))


def _informative(text: str, words: list[_Tok]) -> bool:
    """Do capitals mark names here? Not in ALL CAPS, nor in Title Case Sentences Of Four Words or more."""
    if not any(ch.islower() for ch in text):
        return False
    others = [w for w in words if w.low != "i" and not w.low.startswith("i'")]  # "I" is always a capital
    capitals = sum(1 for w in others if w.raw[:1].isupper())
    return not (len(others) >= 4 and capitals / len(others) >= 0.75)


def _capital(tok: _Tok, telling: bool) -> bool:
    return telling and tok.raw[:1].isupper()


def _plausible(tok: _Tok, telling: bool) -> bool:
    """Could this word be a name? Not a common word, a day, a possessive, nor a lower-case state."""
    low = tok.low
    if tok.kind != "word" or not 2 <= len(low) <= 24 or low.rstrip(".") in NOT_NAMES or low in _CALENDAR \
            or low.endswith(("'s", ".")) or low.rpartition("'")[2] in _CONTRACTED:
        return False  # "Maren's", "I'm", "don't": a possessive or a contraction, no name
    return _capital(tok, telling) or not (len(low) > 4 and low.endswith(_STATE_ENDINGS))


def _at(toks: list[_Tok], i: int, telling: bool, asked: bool) -> list[_Tok] | None:
    """A name introduced by a phrase starting at token ``i``, if there is one."""
    prev = toks[i - 1].low if i > 0 and toks[i - 1].kind == "word" else ""
    for phrase in _EXPLICIT:
        if _starts(toks, i, phrase) and prev not in _NOT_AFTER:
            return _name_words(toks, i + len(phrase), telling, loose=False, asked=asked)
    for phrase in _CASUAL:
        if not _starts(toks, i, phrase) or (phrase in _NEEDS_ASKING and not asked):
            continue
        if phrase == ("i", "am") and i + 2 < len(toks) and toks[i + 2].low == "called":
            continue
        return _name_words(toks, i + len(phrase), telling, loose=True, asked=asked)
    return _named_before(toks, i, telling, asked)


def _starts(toks: list[_Tok], i: int, phrase: tuple[str, ...]) -> bool:
    if i + len(phrase) > len(toks):
        return False
    return all(toks[i + n].kind == "word" and toks[i + n].low == w for n, w in enumerate(phrase))


def _named_before(toks: list[_Tok], i: int, telling: bool, asked: bool) -> list[_Tok] | None:
    """ "Sam here" and "Sam's my name": the name comes first, at the start of its clause."""
    if i > 0 and toks[i - 1].kind == "word":
        return None
    words: list[_Tok] = []
    j = i
    if j + 1 < len(toks) and toks[j].kind == "word" and toks[j].low.rstrip(".") in TITLES:
        words.append(toks[j])  # "Dr. Chen here"
        j += 1
    while j < len(toks) and toks[j].kind == "word" and len(words) < 3:
        tok = toks[j]
        if tok.low.endswith("'s") and [t.low for t in toks[j + 1:j + 3]] == ["my", "name"]:
            stem = _Tok("word", tok.raw[:-2], tok.low[:-2], tok.start, tok.end - 2)
            return [*words, stem] if _plausible(stem, telling) else None
        if not _plausible(tok, telling) or (telling and not asked and not _capital(tok, telling)):
            break
        words.append(tok)
        j += 1
    after = [t.low for t in toks[j:j + 3] if t.kind == "word"]
    if not words or words[-1].low.rstrip(".") in TITLES:
        return None
    if after[:1] == ["here"] and (j + 1 >= len(toks) or toks[j + 1].kind != "word"):
        return words
    return words if after == ["is", "my", "name"] else None


def _name_words(toks: list[_Tok], j: int, telling: bool, *, loose: bool, asked: bool) -> list[_Tok] | None:
    """Up to three name words from token ``j`` (a title may lead), or None when it is no name.

    ``loose`` phrases ("I'm", "this is") introduce a name only when it ends the clause or is
    followed by a linking word ("I'm Sam and...", "I'm Sam from..."): "I'm Sam" is an
    introduction, "this is Curtis we're talking about" is not.
    """
    words: list[_Tok] = []
    if j + 1 < len(toks) and toks[j].kind == "word" and toks[j].low.rstrip(".") in TITLES \
            and _plausible(toks[j + 1], telling) \
            and (not telling or _capital(toks[j + 1], telling)):
        words.append(toks[j])
        j += 1
    if j >= len(toks) or not _plausible(toks[j], telling):
        return None
    words.append(toks[j])
    j += 1
    while j < len(toks) and toks[j].kind == "word" and len(words) < 4:
        nxt = toks[j]
        ends = j + 1 >= len(toks) or toks[j + 1].kind != "word"
        if (_capital(nxt, telling) or ends) and _plausible(nxt, telling) \
                and nxt.low not in _LINKERS:
            words.append(nxt)
            j += 1
        else:
            break
    if loose and j < len(toks) and toks[j].kind == "word" and toks[j].low not in _LINKERS:
        return None
    return words


def _bare(toks: list[_Tok], telling: bool) -> list[_Tok] | None:
    """A reply that is only a name ("Sam.", "sam", "Sam. Sam Reyes."): its longest sentence."""
    sentences: list[list[_Tok]] = [[]]
    for tok in toks:
        if tok.kind == "end":
            sentences.append([])
        elif tok.kind == "word":
            sentences[-1].append(tok)
    best: list[_Tok] = []
    for sentence in sentences:
        words = [t for t in sentence if t.low not in _INTERJECTIONS] if len(sentence) > 1 else sentence
        if not words:
            continue
        if len(words) > 3 or not all(_plausible(t, telling) and not t.low.endswith(_STATE_ENDINGS) for t in words):
            return None
        if len(words) >= len(best):
            best = words
    return best or None


def _repeated(toks: list[_Tok]) -> bool:
    """ "Sam. Sam Reyes.": a name said, then said in full, vouches for itself."""
    words = [t for t in toks if t.kind == "word"]
    return len(words) >= 3 and words[0].low == words[1].low and words[0].raw[:1].isupper() and \
        any(t.kind == "end" for t in toks)


def _extended(toks: list[_Tok], start: int, name: list[_Tok], telling: bool) -> list[_Tok]:
    """ "It's Sam, Sam Reyes": the same name said again in full later on."""
    for j in range(start + 1, len(toks) - 1):
        nxt = toks[j + 1]
        if toks[j].low == name[0].low and nxt.kind == "word" and (not telling or _capital(nxt, telling)) \
                and _plausible(nxt, telling) and nxt.low not in _LINKERS:
            return [toks[j], nxt]
    return name


def _styled(word: str) -> str:
    """ "sam" -> "Sam", "o'brien" -> "O'Brien", "SAM" -> "Sam"; "McAdams" stays as written."""
    if word.islower() or word.isupper():
        return re.sub(r"(^|['\-])([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), word.lower())
    return word
