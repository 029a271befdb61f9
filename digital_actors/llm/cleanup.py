"""Clean a model's streamed line for speech and display, without ever truncating a real line.

Removes a leading speaker prefix ("Smith:", "**James:**", "[James]:", also after an aside:
"(quietly) James: ..."), a preamble ("Sure! Here's James's line:"), quotes around the whole
line, stage business in asterisks, underscores or parentheses ("*sighs*", "(pauses)", "*glances
at the gauge*"), meta-commentary ("As an AI...", "(Note: ...)"), a line written as JSON (its
spoken words are kept: ``spoken.py``) and characters that cannot be shown (control characters,
lone surrogates), and stops at the first sentence end past ``max_words``. It works on deltas:
text is held back only while it might still turn out to be one of those, so the line keeps
streaming. ``tests/llm_actor/junk_lines.toml`` is its corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from digital_actors.llm.spoken import json_end, spoken_text, starts_json
from digital_actors.voice.chunker import CLOSERS, INITIALISM, OPENERS, TERMINATORS, TITLES
from digital_actors.voice.tags import STAGE_WORDS, is_stage_direction

# Characters no player should see or hear: lone surrogates (cannot even be encoded), control
# characters other than newline and tab, the replacement character and non-characters.
UNSAFE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f\ufffd\ufffe\uffff]")

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
# Stage business beyond the voice's STAGE_WORDS: third-person actions ("*glances at the gauge*").
# Only for an aside of two or more words or one that opens a sentence: "It *takes* time" stays.
STAGE_VERBS = frozenset("""
takes glances wipes points steps walks pulls pushes grabs grips taps rubs stares gazes smirks
rolls raises lowers crosses folds checks adjusts slams bangs waves shakes tilts narrows closes
opens reaches hands gestures paces straightens squints bites clenches slumps stands sits kneels
blinks mumbles crackles trembles shivers flinches stiffens softens drums rests presses holds
lifts drops sets puts picks keys flips jabs thumps knocks slaps hangs listens watches waits
nodding shaking frowning sighing leaning looking glancing staring gripping pacing
""".split())
ARTICLES = frozenset({"a", "an", "another", "the", "one", "then", "brief", "short"})
OTHER_SPEAKERS = frozenset({"player", "user", "you", "human", "me", "narrator", "operator"})
OWN_SPEAKERS = frozenset({"assistant", "character", "actor", "ai"})
QUOTES_OPEN = "\"“"
QUOTES_CLOSE = "\"”"
ATTACHED = frozenset(",.!?;:…)”")  # never preceded by a space we owe
MAX_ASIDE = 160
MAX_PREFIX = 64
MAX_PREAMBLE = 90

_NAME_CHARS = re.compile(r"[A-Za-z.'’\- ]*")
_PREFIX = re.compile(
    r"(?:\*\*|__|\*|\[)?[ \t]*(?P<name>[A-Za-z][A-Za-z.'’\- ]{0,50}?)[ \t]*(?:\([^)\n]{0,40}\))?"
    r"[ \t]*(?:\*\*|__|\*|\])?[ \t]*:(?:[ \t]*(?:\*\*|__|\*)(?=[ \t]|$))?[ \t]*")
_PARTIAL_PREFIX = re.compile(
    r"(?:\*\*|__|\*|\[)?[ \t]*[A-Za-z][A-Za-z.'’\- ]{0,50}[ \t]*(?:\([^)\n]{0,40}\)?)?[ \t]*"
    r"(?:\*\*?|__?|\])?[ \t]*")
# "Sure! Here's James's line:" / "Here is my response:" — only with a word that names the reply,
# so "Here's the plan: we flood it." is a line.
OPENER_WORDS = ("sure", "certainly", "of course", "absolutely", "okay")
_OPENER = re.compile(r"(?:" + "|".join(OPENER_WORDS) + r")\b[!,.]*\s+", re.I)
_PREAMBLE = re.compile(
    r"here(?:'s|’s|\s+is)\b[^:.!?\n]{0,50}?\b(?:line|lines|response|reply|answer|dialogue|version)"
    r"\b[^:.!?\n]{0,20}:[ \t]*", re.I)


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


def is_aside(content: str, names: frozenset[str], *, opens_sentence: bool = True) -> bool:
    """Whether the inside of ``*...*`` / ``(...)`` is a direction or meta, not spoken words."""
    text = content.strip()
    if not text:
        return True
    lowered = text.lower()
    if any(lowered.startswith(m) for m in META_ASIDES) or is_stage_direction(text):
        return True
    words = re.findall(r"[a-z’']+", lowered)
    if not words:
        return False
    first = words[0]
    if first in THIRD_PERSON or first in names or (first in STAGE_WORDS and len(words) <= 12):
        return True
    if first in STAGE_VERBS and (len(words) > 1 or opens_sentence) and len(words) <= 12:
        return True
    return first in ARTICLES and len(words) > 1 and (words[1] in STAGE_WORDS or words[1] in STAGE_VERBS)


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
        self._line_head = True  # nothing emitted on this line yet
        self._json_done = False

    @property
    def text(self) -> str:
        """Everything emitted so far."""
        return "".join(self._out)

    def feed(self, delta: str) -> str:
        """New clean text made safe by ``delta`` (possibly empty)."""
        if self.done:
            return ""
        self._pending += UNSAFE.sub("", delta)
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
        if self._line_start and not self._emitted and not self._json_done:
            whole = starts_json(stripped)
            if whole is None and not final:
                return False
            if whole:
                end = json_end(stripped)
                if end == -1 and not final:
                    return False  # a JSON line is read whole: its words come out at its end
                self._json_done = True
                self._pending = spoken_text(stripped if end == -1 else stripped[:end], OTHER_SPEAKERS)
                return True
        if self._line_start and self._line_head:
            if stripped.startswith(">"):  # a Markdown quote
                if len(stripped) == 1 and not final:
                    return False
                self._pending = stripped[1:]
                return True
            if not self._emitted:
                verdict, length = self._preamble(final=final)
                if verdict == "hold":
                    return False
                if length:
                    self._pending = stripped[length:]
                    return True
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

    def _preamble(self, *, final: bool) -> tuple[str, int]:
        """("hold", 0) while a reply's start may still be a preamble, else ("none", the length
        of the preamble to drop, 0 for none)."""
        text = self._pending
        opener = _OPENER.match(text)
        if opener is None:
            stem = text.lower().rstrip("!,. \t")
            if not final and stem and any(w.startswith(stem) for w in OPENER_WORDS):
                return "hold", 0  # "Sure!" — a preamble or a line, the next word tells
        rest = text[opener.end():] if opener else text
        if not "here".startswith(rest[:4].lower()):
            return "none", 0
        found = _PREAMBLE.match(rest)
        if found:
            return "none", len(text) - len(rest) + found.end()
        if not final and len(rest) < MAX_PREAMBLE and not re.search(r"[:.!?\n]", rest):
            return "hold", 0
        return "none", 0

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
        if ch in "*(" or (ch == "_" and (not self._last or self._last.isspace())):
            return self._aside(ch, final=final)
        if ch == "\n":
            self._boundary()
            self._pending = text[1:]
            self._space = self._emitted
            self._line_start = self._sentence_start = self._line_head = True
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
        if opener in "*_" and text == opener and not final:
            return False  # "*" or the start of "**"
        double = opener * 2
        closer = ")" if opener == "(" else (double if text.startswith(double) else opener)
        skip = len(closer) if opener in "*_" else 1
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
        if is_aside(content, self.own, opens_sentence=self._line_head or self._last in TERMINATORS):
            self._pending = rest
            if self._emitted:
                self._space = True
            if self._line_head:  # "(quietly) James: ..." — a speaker tag may follow
                self._line_start = True
            return True
        if opener in "*_":
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
        self._line_head = False

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
