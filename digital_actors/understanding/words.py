"""Words with their place in the original text: tokenising, lower-casing and expanding contractions.

Player text and keywords go through the same expansion, so "I'm" in a keyword matches
"I am", "im" and "I’m" typed by the player, and "didn't" is "did not" everywhere (which is
what lets negation be one word to look for). Each word keeps the span of the characters it
came from, so a match can say where it is in what the player typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from digital_actors.understanding.lexicon import ABBREVIATIONS

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(
    r"(?P<word>'(?:cause|cos|coz|em)\b|[^\W_]+(?:'[^\W_]+)*)"
    r"|(?P<end>[.!?;]+|\n)"
    r"|(?P<soft>…|\.\.+|[,:()\[\]]|--?|—|–)"
    r"|(?P<quote>\")"
    r"|(?P<single>')",  # an apostrophe outside a word: a single quote mark, opening or closing
)
_REPEATS = re.compile(r"(.)\1{2,}")

# Whole-word expansions, typed with or without the apostrophe.
_WHOLE: dict[str, tuple[str, ...]] = {
    "im": ("i", "am"), "ive": ("i", "have"), "id": ("i", "would"), "youre": ("you", "are"),
    "youve": ("you", "have"), "youll": ("you", "will"), "youd": ("you", "would"),
    "theyre": ("they", "are"), "theyve": ("they", "have"), "theyll": ("they", "will"),
    "weve": ("we", "have"), "itll": ("it", "will"), "thatll": ("that", "will"),
    "its": ("it", "is"), "thats": ("that", "is"), "whats": ("what", "is"), "wheres": ("where", "is"),
    "whos": ("who", "is"), "hows": ("how", "is"), "theres": ("there", "is"), "heres": ("here", "is"),
    "shes": ("she", "is"), "lets": ("let", "us"), "cannot": ("can", "not"), "cant": ("can", "not"),
    "wont": ("will", "not"), "dont": ("do", "not"), "didnt": ("did", "not"), "doesnt": ("does", "not"),
    "isnt": ("is", "not"), "wasnt": ("was", "not"), "arent": ("are", "not"), "werent": ("were", "not"),
    "havent": ("have", "not"), "hasnt": ("has", "not"), "hadnt": ("had", "not"),
    "wouldnt": ("would", "not"), "couldnt": ("could", "not"), "shouldnt": ("should", "not"),
    "mustnt": ("must", "not"), "neednt": ("need", "not"), "aint": ("is", "not"),
    "gonna": ("going", "to"), "wanna": ("want", "to"), "gotta": ("got", "to"),
    "dunno": ("do", "not", "know"), "idk": ("i", "do", "not", "know"), "imma": ("i", "am", "going", "to"),
    "'cause": ("because",), "cos": ("because",), "coz": ("because",),
    "cuz": ("because",), "'cos": ("because",), "'coz": ("because",), "'em": ("them",),
    "u": ("you",), "ur": ("your",), "r": ("are",), "pls": ("please",), "plz": ("please",),
    "thx": ("thanks",), "ty": ("thank", "you"), "ok": ("okay",), "k": ("okay",),
}
_NT_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}
_IS_BEFORE_S = frozenset({
    "it", "that", "what", "where", "who", "how", "there", "here", "he", "she", "name", "when",
    "why", "this", "everything", "nothing", "something", "someone", "everyone", "one",
})
# After "'d", these make it "had" ("I'd been home"), otherwise it is "would" ("I'd say").
_HAD_AFTER = frozenset({"been", "gone", "done", "had", "seen", "left", "got", "better", "never", "already", "just"})


@dataclass(frozen=True, slots=True)
class Token:
    """One piece of the text: a word (normalised), a sentence end, a soft break or a quote mark."""

    kind: str      # "word", "end", "soft", "quote" (text "\"", or "open"/"close" for a single quote)
    text: str      # the normalised word, or the punctuation as typed
    raw: str       # the characters as typed (the whole contraction for its expanded parts)
    start: int
    end: int


def _expand(word: str, following: str) -> tuple[str, ...]:
    """One lower-case word as the words it stands for: "didn't" -> ("did", "not")."""
    word = _REPEATS.sub(r"\1\1", word)
    if word in _WHOLE:
        return _WHOLE[word]
    if "'" not in word:
        return (word,)
    if word == "let's":
        return ("let", "us")
    if word.endswith("n't"):
        stem = word[:-3]
        return (_NT_STEMS.get(stem, stem), "not")
    stem, _, tail = word.rpartition("'")
    if tail in ("m",):
        return (stem, "am")
    if tail == "re":
        return (stem, "are")
    if tail == "ve":
        return (stem, "have")
    if tail == "ll":
        return (stem, "will")
    if tail == "d":
        return (stem, "had" if following in _HAD_AFTER or following.endswith("ed") else "would")
    if tail == "s":
        return (stem, "is") if stem in _IS_BEFORE_S else (stem, "'s")
    return (word,)


def tokenize(text: str) -> list[Token]:
    """Words (contractions expanded, each part keeping the span it came from) and punctuation."""
    text = text.translate(_QUOTES)
    raw_tokens = [(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out: list[Token] = []
    for i, (kind, value, start, end) in enumerate(raw_tokens):
        if kind == "end" and value.startswith(".") and _is_abbreviation(raw_tokens, i):
            continue
        if kind == "end" and value == "." and end < len(text) and not text[end].isspace():
            continue  # "M.V.", "9.50": a dot inside a word is not a sentence end
        if kind == "end" and value == "." and i > 0 and len(raw_tokens[i - 1][1]) == 1 \
                and raw_tokens[i - 1][1].lower() not in ("i", "a") and raw_tokens[i - 1][0] == "word":
            continue  # an initial: "M.V. at ten"
        if kind == "single":
            side = _single_quote(text, start)
            if side:
                out.append(Token("quote", side, value, start, end))
            continue
        if kind != "word":
            out.append(Token(kind, value, value, start, end))
            continue
        following = raw_tokens[i + 1][1].lower() if i + 1 < len(raw_tokens) else ""
        for part in _expand(value.lower(), following):
            out.append(Token("word", part, value, start, end))
    return out


def _single_quote(text: str, at: int) -> str:
    """ "open" or "close" for a single quote mark at ``at``; "" for a stray apostrophe ("the Smiths' house")."""
    before = text[at - 1] if at > 0 else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    if (before.isspace() or before in "(\"") and after.isalnum():
        return "open"
    if (before.isalnum() or before in ".,!?") and (after.isspace() or after in ".,!?;:)"):
        return "close"
    return ""


def _is_abbreviation(tokens: list[tuple[str, str, int, int]], i: int) -> bool:
    """ "Dr. Chen": a dot after a title is not a sentence end."""
    return i > 0 and tokens[i][1] == "." and tokens[i - 1][0] == "word" and tokens[i - 1][1].lower() in ABBREVIATIONS


@lru_cache(maxsize=4096)
def keyword_words(keyword: str) -> tuple[str, ...]:
    """A keyword as the normalised words a player's text is matched against."""
    return tuple(t.text for t in tokenize(keyword) if t.kind == "word")
