"""Audio tags such as ``[sighs]``: stripped from displayed text, kept for voices that perform them.

For the voice, ``prepare_for_voice`` also removes stage directions (``*sighs*``, ``(laughs)``)
and turns sound-effect tags (``[static]``, ``[door slams]``) into short pauses, because an
actor's voice should not try to *say* a door slam. ``TagFilter`` strips tags from a stream of
display deltas even when a tag arrives split across deltas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digital_actors.text import MAX_TAG_CHARS, TAG, strip_tags

__all__ = ["MAX_TAG_CHARS", "TAG", "strip_tags"]  # the display helpers live with the other text rules
_PARTIAL_TAG = re.compile(r"\[(?:[A-Za-z][A-Za-z ,\-']{0,40})?")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:])")
_SPEAKABLE = re.compile(r"[^\W_]")
_TRAILING_PUNCT = re.compile(r"\s*([.!?…,;:]+)")

# Sound effects become silence of this many milliseconds (matched as whole words in the tag).
SOUND_EFFECTS: dict[str, int] = {
    **dict.fromkeys(("beep", "beeps", "beeping", "click", "clicks", "knock", "knocks", "knocking",
                     "ding", "ping", "buzz", "buzzing", "bang", "thud", "clank", "clang",
                     "tap", "tapping"), 250),
    **dict.fromkeys(("static", "radio static", "crackle", "crackles", "crackling", "interference",
                     "feedback", "door slams", "door opens", "door closes", "footsteps", "crash",
                     "gunshot", "gunshots", "glass breaks", "glass shatters", "phone rings",
                     "ringing", "creak", "creaking", "hiss", "hissing", "splash", "dripping",
                     "water rushing", "alarm", "alarms", "siren", "sirens", "metal groans",
                     "engine", "wind", "rain", "rumble", "rumbling", "pause", "short pause",
                     "beat"), 500),
    **dict.fromkeys(("explosion", "explosions", "boom", "thunder", "long pause", "silence"), 800),
}
_EFFECT_PATTERNS = [
    (re.compile(rf"\b{re.escape(name)}\b"), ms)
    for name, ms in sorted(SOUND_EFFECTS.items(), key=lambda item: -len(item[0]))
]
MAX_PAUSE_MS = 1500

# A *...* or (...) of at most 6 words whose first word is one of these is a stage direction.
STAGE_WORDS = frozenset("""
sigh sighs sighing laugh laughs laughing chuckle chuckles chuckling giggle giggles cough coughs
coughing gasp gasps gasping whisper whispers whispering shout shouts shouting yell yells
scream screams sob sobs sobbing cry cries crying groan groans groaning grunt grunts sniff
sniffs sniffles smile smiles smiling grin grins nod nods shrug shrugs frown frowns wince
winces pause pauses pausing hesitates exhale exhales inhale inhales breath breathes breathing
swallow swallows clears mutters muttering murmurs stammers stutters hums whistles snorts scoffs
beat silence static long quiet voice under looks leans turns
quietly softly gently loudly angrily sadly nervously bitterly coldly flatly sharply wearily
dryly drily sarcastically tearfully urgently calmly firmly hoarsely breathlessly
""".split())
_DIRECTION = re.compile(r"\*([^*\n]{1,60})\*|\(([^()\n]{1,60})\)")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a line for the voice: text to say, or ``pause_ms`` of silence."""

    text: str = ""
    pause_ms: int = 0


def find_tags(text: str) -> list[str]:
    """The tags in a text, in order, without brackets."""
    return [m.group(1).strip() for m in TAG.finditer(text)]


def sound_effect_pause(tag: str) -> int | None:
    """Milliseconds of pause for a sound-effect tag (``"door slams"``), or None if it is not one."""
    lowered = tag.strip().lower()
    for pattern, ms in _EFFECT_PATTERNS:
        if pattern.search(lowered):
            return ms
    return None


def is_stage_direction(content: str) -> bool:
    """Whether the inside of ``*...*`` / ``(...)`` reads as a direction (``laughs softly``)."""
    words = content.strip().lower().replace(",", " ").split()
    if not words or len(words) > 6:
        return False
    return words[0] in STAGE_WORDS


def strip_directions(text: str) -> str:
    """``text`` without stage directions; other parentheses and emphasis stay (asterisks go)."""
    def replace(match: re.Match[str]) -> str:
        content = match.group(1) if match.group(1) is not None else match.group(2)
        if is_stage_direction(content):
            return " "
        return content if match.group(1) is not None else match.group(0)
    return _DIRECTION.sub(replace, text).replace("*", "")


def _tidy(text: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text.replace("\n", " "))).strip()


def prepare_for_voice(text: str, performs_tags: bool) -> list[Segment]:
    """What a voice should perform for ``text``: text segments and sound-effect pauses, in order.

    Tags stay in the text for voices that perform them and are dropped for the others.
    """
    text = strip_directions(text)
    segments: list[Segment] = []
    pending = ""
    last = 0

    def flush_text() -> None:
        nonlocal pending
        tidy = _tidy(pending)
        pending = ""
        keep = bool(_SPEAKABLE.search(TAG.sub("", tidy))) or (performs_tags and TAG.search(tidy))
        if tidy and keep:
            segments.append(Segment(text=tidy))

    for match in TAG.finditer(text):
        pending += text[last:match.start()]
        last = match.end()
        pause = sound_effect_pause(match.group(1))
        if pause is not None:
            trailing = _TRAILING_PUNCT.match(text, last)  # "so [door slams]." keeps its full stop
            if trailing:
                pending += trailing.group(1)
                last = trailing.end()
            flush_text()
            if segments and segments[-1].pause_ms:
                pause = min(MAX_PAUSE_MS, segments.pop().pause_ms + pause)
            segments.append(Segment(pause_ms=pause))
        elif performs_tags:
            pending += match.group(0)
    pending += text[last:]
    flush_text()
    return segments


class TagFilter:
    """Strips tags from streamed display deltas; the joined output equals ``strip_tags(whole)``.

    Text that may still turn out to be a tag (an unclosed ``[``) or white space that may yet be
    removed is held back until it is decided, so nothing shown ever has to be taken back.
    """

    def __init__(self) -> None:
        self._raw = ""
        self._shown = ""

    def feed(self, delta: str) -> str:
        """New display text made safe by ``delta`` (possibly empty)."""
        self._raw += delta
        safe = len(self._raw)
        last_open = self._raw.rfind("[")
        if last_open != -1 and _PARTIAL_TAG.fullmatch(self._raw, last_open):
            safe = last_open
        while safe > 0 and self._raw[safe - 1].isspace():
            safe -= 1
        display = strip_tags(self._raw[:safe])
        if not display.startswith(self._shown):
            return ""  # never retract what is shown; flush sends the difference
        new, self._shown = display[len(self._shown):], display
        return new

    def flush(self) -> str:
        """The rest of the display text at the end of the line."""
        display = strip_tags(self._raw)
        common = next((i for i, (a, b) in enumerate(zip(display, self._shown, strict=False))
                       if a != b), min(len(display), len(self._shown)))
        self._raw = self._shown = ""
        return display[common:]
