"""Sentences out of a token stream, so each one can be voiced while the model keeps writing.

A sentence ends at ``. ! ? …`` (plus any closing quotes) followed by white space and a next
character that is not lower case; abbreviations (Dr., Lt., e.g., U.S.), initials, decimals
(2.5) and ``[tags]`` never end one. A sentence longer than ``clause_chars`` is cut at its last
comma, semicolon, colon or dash. The chunker waits for the character after a terminator before
deciding, so feeding a text token by token gives exactly the sentences feeding it whole does.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from digital_actors.voice.tags import MAX_TAG_CHARS, strip_tags

TERMINATORS = frozenset(".!?…")
CLOSERS = frozenset("\"'”’)»")
DASHES = frozenset("—–")
CLAUSE_MARKS = frozenset(",;:")
OPENERS = "\"'“‘(«"

# Followed by a name, never the end of a sentence.
TITLES = frozenset({
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "rev", "hon", "gov", "sen",
    "lt", "lieut", "cmdr", "cdr", "capt", "col", "gen", "maj", "sgt", "cpl", "pvt", "adm",
    "ens", "det", "insp", "supt", "messrs", "mme", "mlle", "vs", "cf", "viz", "approx", "ca",
})
# Abbreviations only when a number follows ("No. 5", "Fig. 2").
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "vol", "fig", "p", "pp", "ch", "art", "sec", "deck"})
INITIALISM = re.compile(r"[A-Za-z]{1,2}(?:\.[A-Za-z]{1,2})+")  # e.g, i.e, U.S, a.m, Ph.D
_LETTERS = re.compile(r"[^\W_]")


def _speakable(text: str) -> bool:
    return bool(_LETTERS.search(strip_tags(text)))


def _ends_sentence(buf: str, start: int, end: int, following: str) -> bool:
    """Whether the terminators ``buf[start:end]`` end a sentence, given the next visible char."""
    if following.islower():
        return False
    if buf[start:end] != ".":
        return True
    word_start = start
    while word_start > 0 and not buf[word_start - 1].isspace():
        word_start -= 1
    token = buf[word_start:start].lstrip(OPENERS)
    lowered = token.lower()
    if lowered in TITLES:
        return False
    if following.isdigit() and lowered in NUMBER_ABBREVIATIONS:
        return False
    if INITIALISM.fullmatch(token):
        return False
    return not (len(token) == 1 and token.isupper())  # an initial: "J. Smith"


class SentenceChunker:
    """Feed text deltas with ``feed``; get the sentences they complete. Call ``flush`` at the end."""

    def __init__(self, *, clause_chars: int = 120, first_clause_chars: int = 60,
                 min_clause_chars: int = 20, hard_chars: int = 280) -> None:
        if not 0 < min_clause_chars < first_clause_chars <= hard_chars:
            raise ValueError("need 0 < min_clause_chars < first_clause_chars <= hard_chars")
        if not first_clause_chars <= clause_chars <= hard_chars:
            raise ValueError("need first_clause_chars <= clause_chars <= hard_chars")
        self.clause_chars = clause_chars
        self.first_clause_chars = first_clause_chars
        self.min_clause_chars = min_clause_chars
        self.hard_chars = hard_chars
        self._buf = ""
        self._carry = ""  # a piece with nothing to say (only a tag): it joins the next sentence
        self._emitted = 0

    def feed(self, delta: str) -> list[str]:
        """Add streamed text; return the sentences completed so far (possibly none)."""
        self._buf += delta
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """End of the text: return whatever is left as the last sentence(s)."""
        out = self._drain(final=True)
        rest = " ".join(p for p in (self._carry, self._buf.strip()) if p)
        self._buf = self._carry = ""
        if rest:
            out.append(rest)
            self._emitted += 1
        return out

    def _drain(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while (cut := self._find_cut(final)) is not None:
            piece, self._buf = self._buf[:cut].strip(), self._buf[cut:].lstrip()
            if not piece:
                continue
            if not _speakable(piece):
                self._carry = f"{self._carry} {piece}".strip()
                continue
            out.append(f"{self._carry} {piece}".strip())
            self._carry = ""
            self._emitted += 1
        return out

    def _find_cut(self, final: bool) -> int | None:
        """End index of the first complete piece of the buffer, or None until more text arrives."""
        buf, n = self._buf, len(self._buf)
        clause_limit = self.first_clause_chars if self._emitted == 0 else self.clause_chars
        breaks: list[int] = []  # clause cut points seen so far (outside tags)
        spaces: list[int] = []
        i = 0
        while i < n:
            if i > clause_limit and (cut := self._clause_cut(breaks, clause_limit)) is not None:
                return cut
            if i > self.hard_chars:
                usable = [s for s in spaces if s >= self.min_clause_chars]
                return usable[-1] if usable else i
            ch = buf[i]
            if ch == "[":
                close = buf.find("]", i + 1, i + MAX_TAG_CHARS + 2)
                if close != -1:
                    i = close + 1
                    continue
                if n - i <= MAX_TAG_CHARS + 1 and not final:
                    return None  # maybe a tag still arriving: never split one
            elif ch == "\n":
                return i + 1
            elif ch in TERMINATORS:
                j = i
                while j < n and buf[j] in TERMINATORS:
                    j += 1
                k = j
                while k < n and buf[k] in CLOSERS:
                    k += 1
                if k == n:
                    return n if final else None
                if not buf[k].isspace():
                    i = k
                    continue
                m = k
                while m < n and buf[m].isspace():
                    m += 1
                if m == n:
                    return n if final else None
                if _ends_sentence(buf, i, j, buf[m]):
                    return k
                spaces.append(k)
                i = m
                continue
            elif ch in CLAUSE_MARKS and i + 1 < n and buf[i + 1].isspace():
                breaks.append(i + 1)
            elif ch in DASHES or (ch == "-" and 0 < i < n - 1 and buf[i - 1] == buf[i + 1] == " "):
                breaks.append(i + 1)
            elif ch.isspace():
                spaces.append(i)
            i += 1
        if final and n:
            return n
        return None

    def _clause_cut(self, breaks: list[int], limit: int) -> int | None:
        usable = [b for b in breaks if self.min_clause_chars <= b <= limit]
        return usable[-1] if usable else None


async def sentences(deltas: AsyncIterator[str], chunker: SentenceChunker | None = None,
                    ) -> AsyncIterator[str]:
    """Sentences from an async stream of text deltas, each yielded as soon as it is complete."""
    chunker = chunker or SentenceChunker()
    async for delta in deltas:
        for sentence in chunker.feed(delta):
            yield sentence
    for sentence in chunker.flush():
        yield sentence
