"""Clean a model's streamed line for speech and display, without ever truncating a real line.

Removes a leading speaker prefix ("Smith:", "**James:**"), quotes around the whole line,
stage directions in asterisks or parentheses, and meta-commentary ("As an AI...", "(Note: ...)"),
and stops at the first sentence end past ``max_words``. It works on deltas: text is held back
only while it might still turn out to be one of those, so the line keeps streaming.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from digital_actors.voice.chunker import CLOSERS, INITIALISM, OPENERS, TERMINATORS, TITLES
from digital_actors.voice.tags import is_stage_direction

# A sentence (or a new paragraph) starting with one of these is out of character: it and
# everything after it are dropped.
META_STARTS: tuple[str, ...] = (
    "as an ai", "as a language model", "as a large language model", "as an assistant",
    "i'm an ai", "i am an ai", "i'm just an ai", "i am just an ai", "as claude", "i'm claude",
    "i'm sorry, but as an ai", "i'm sorry, but i can't continue", "i can't continue this role",
    "i cannot continue this role", "note:", "notes:", "author's note", "disclaimer:", "ooc:",
    "(ooc", "[ooc", "out of character", "stage direction", "---", "___", "===",
)
# Parenthesised or starred asides that are about the reply rather than in it.
META_ASIDES: tuple[str, ...] = (
    "note", "ooc", "out of character", "as an ai", "this response", "in character",
    "stage direction", "aside", "translation", "word count", "continues", "end of",
)
THIRD_PERSON = frozenset({"he", "she", "they", "his", "her", "their", "him", "them", "it"})
OTHER_SPEAKERS = frozenset({"player", "user", "you", "human", "me", "narrator", "operator"})
OWN_SPEAKERS = frozenset({"assistant", "character", "actor", "ai"})
QUOTES_OPEN = "\"“"
QUOTES_CLOSE = "\"”"
ATTACHED = frozenset(",.!?;:…)”")  # never preceded by a space we owe
MAX_ASIDE = 160
MAX_PREFIX = 64

_NAME_CHARS = re.compile(r"[A-Za-z.'’\- ]*")
_PREFIX = re.compile(
    r"(?:\*\*|__|\*)?[ \t]*(?P<name>[A-Za-z][A-Za-z.'’\- ]{0,50}?)[ \t]*(?:\([^)\n]{0,40}\))?"
    r"[ \t]*(?:\*\*|__|\*)?[ \t]*:(?:[ \t]*(?:\*\*|__|\*)(?=[ \t]|$))?[ \t]*")
_PARTIAL_PREFIX = re.compile(
    r"(?:\*\*|__|\*)?[ \t]*[A-Za-z][A-Za-z.'’\- ]{0,50}[ \t]*(?:\([^)\n]{0,40}\)?)?[ \t]*"
    r"(?:\*\*?|__?)?[ \t]*")


def name_tokens(*names: str) -> frozenset[str]:
    """Lower-case words of a character's name and id (``Lt. Commander James Smith`` -> lt, ...)."""
    out: set[str] = set()
    for name in names:
        for word in re.split(r"[\s_]+", name):
            word = word.strip(".'’-").lower()
            if word:
                out.add(word)
    return frozenset(out)


def _words(text: str) -> list[str]:
    return [w.strip(".'’-").lower() for w in text.split()]


def is_aside(content: str, names: frozenset[str]) -> bool:
    """Whether the inside of ``*...*`` / ``(...)`` is a direction or meta, not spoken words."""
    text = content.strip()
    if not text:
        return True
    lowered = text.lower()
    if any(lowered.startswith(m) for m in META_ASIDES) or is_stage_direction(text):
        return True
    first = _words(text)[0]
    return first in THIRD_PERSON or first in names


class LineCleaner:
    """Feed deltas with ``feed``; call ``flush`` at the end. ``done`` means stop reading."""

    def __init__(self, *, names: Iterable[str] = (), max_words: int | None = None,
                 hard_words: int | None = None) -> None:
        self.own = frozenset(names) | OWN_SPEAKERS
        self.max_words = max_words
        self.hard_words = hard_words or (max_words + 25 if max_words else None)
        self.done = False
        self.words = 0
        self._pending = ""
        self._out: list[str] = []
        self._space = False
        self._last = ""
        self._word = ""
        self._line_start = True
        self._sentence_start = True
        self._wrapped = False
        self._emitted = False

    @property
    def text(self) -> str:
        """Everything emitted so far."""
        return "".join(self._out)

    def feed(self, delta: str) -> str:
        """New clean text made safe by ``delta`` (possibly empty)."""
        if self.done:
            return ""
        self._pending += delta
        return self._run(final=False)

    def flush(self) -> str:
        """The rest of the clean text at the end of the reply."""
        if self.done:
            self._pending = ""
            return ""
        out = self._run(final=True)
        self._pending = ""
        return out

    # --- the state machine ---------------------------------------------------------------
    def _run(self, *, final: bool) -> str:
        start = len(self._out)
        while self._pending and not self.done:
            if self._line_start or self._sentence_start:
                if not self._start_of(final=final):
                    break
                continue
            if not self._scan(final=final):
                break
        return "".join(self._out[start:])

    def _start_of(self, *, final: bool) -> bool:
        """Decide what begins a line or a sentence; False means wait for more text."""
        stripped = self._pending.lstrip()
        if not stripped:
            if final:
                self._pending = ""
            return False
        self._pending = stripped
        if self._line_start:
            verdict, length = self._prefix(final=final)
            if verdict == "hold":
                return False
            if verdict == "other":
                self.done = True
                return False
            if verdict == "own":
                self._pending = self._pending[length:]
                return True
            if not self._emitted and self._pending[0] in QUOTES_OPEN:
                self._wrapped = True
                self._pending = self._pending[1:]
            self._line_start = False
            return True
        lowered = stripped.lower().replace("’", "'")
        if any(lowered.startswith(m) for m in META_STARTS):
            self.done = True
            return False
        if not final and any(m.startswith(lowered) for m in META_STARTS):
            return False
        self._sentence_start = False
        return True

    def _prefix(self, *, final: bool) -> tuple[str, int]:
        """("own", length) for the character's own name tag, ("other", _) for another speaker's,
        ("hold", 0) while undecided, ("none", 0) when the line starts with spoken words."""
        text = self._pending
        if not final and not text.strip("*_ \t"):
            return "hold", 0
        match = _PREFIX.match(text)
        if match and match.end() == len(text) and not final:
            return "hold", 0  # closing emphasis ("**James:**") may still follow
        if match and len(match.group(0)) <= MAX_PREFIX:
            words = _words(match.group("name"))
            if words and all(w in self.own for w in words):
                return "own", match.end()
            if words and all(w in OTHER_SPEAKERS for w in words):
                return "other", 0
            return "none", 0
        if final or len(text) > MAX_PREFIX:
            return "none", 0
        partial = _PARTIAL_PREFIX.fullmatch(text)
        if partial is None:
            return "none", 0
        name = _NAME_CHARS.match(text.lstrip("*_ \t")).group(0)  # type: ignore[union-attr]
        words = _words(name)
        if not words:
            return "hold", 0
        complete = words if name.endswith(" ") else words[:-1]
        known = self.own | OTHER_SPEAKERS
        if any(w not in known for w in complete):
            return "none", 0
        if not name.endswith(" ") and not any(k.startswith(words[-1]) for k in known):
            return "none", 0
        return "hold", 0

    def _scan(self, *, final: bool) -> bool:
        """Emit what can be decided at the head of the pending text; False means wait."""
        text = self._pending
        ch = text[0]
        if ch in "*(":
            return self._aside(ch, final=final)
        if ch == "\n":
            self._boundary()
            self._pending = text[1:]
            self._space = self._emitted
            self._line_start = self._sentence_start = True
            return True
        if ch.isspace():
            self._pending = text[1:]
            self._boundary()
            self._space = self._emitted
            return True
        if ch in QUOTES_CLOSE and self._wrapped:
            if not text[1:].strip():
                if final:
                    self._pending = ""
                    return True
                return False
            self._put(ch)
            self._pending = text[1:]
            return True
        end = 1
        while end < len(text) and not (text[end].isspace() or text[end] in "*(\n"
                                       or (self._wrapped and text[end] in QUOTES_CLOSE)):
            end += 1
        for c in text[:end]:
            self._put(c)
        self._pending = text[end:]
        if final and not self._pending:
            self._boundary()
        return True

    def _aside(self, opener: str, *, final: bool) -> bool:
        text = self._pending
        if opener == "*" and text == "*" and not final:
            return False  # "*" or the start of "**"
        closer = ")" if opener == "(" else ("**" if text.startswith("**") else "*")
        skip = len(closer) if opener == "*" else 1
        close = text.find(closer, skip)
        if close == -1:
            if not final and len(text) < MAX_ASIDE:
                return False
            if opener == "(":
                self._put("(")
            self._pending = text[skip:]
            return True
        content = text[skip:close]
        rest = text[close + len(closer):]
        if is_aside(content, self.own):
            self._pending = rest
            if self._emitted:
                self._space = True
            return True
        if opener == "*":
            self._pending = content + rest  # emphasis: keep the words, drop the asterisks
        else:
            for c in text[:close + 1]:
                self._put(c)
            self._pending = rest
        return True

    def _put(self, ch: str) -> None:
        if self._space and ch not in ATTACHED:
            self._out.append(" ")
            self._last = " "
        self._space = False
        if not self._last or self._last.isspace():
            self._word = ""
            self.words += 1
        self._out.append(ch)
        self._last = ch
        self._word += ch
        self._emitted = True

    def _boundary(self) -> None:
        """White space after a word: a sentence may have ended; the length limit may stop us."""
        if not self._emitted or not self._word:
            return
        word = self._word
        self._word = ""
        core = word.rstrip("".join(CLOSERS))
        if core and core[-1] in TERMINATORS and not self._abbreviation(core):
            self._sentence_start = True
            if self.max_words is not None and self.words >= self.max_words:
                self.done = True
                return
        if self.hard_words is not None and self.words >= self.hard_words:
            self._out.append(" —")
            self.done = True

    @staticmethod
    def _abbreviation(word: str) -> bool:
        if not word.endswith(".") or word.endswith(".."):
            return False
        token = word[:-1].lstrip(OPENERS)
        if token.lower() in TITLES or INITIALISM.fullmatch(token):
            return True
        return len(token) == 1 and token.isupper()
