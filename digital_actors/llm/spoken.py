"""The spoken words inside a line a model wrote as JSON (``{"line": "...", "emotion": "..."}``).

Some models, primed by the structured calls around them, answer a line request with a JSON
object, a list of turns or a fenced code block. The words are kept, everything else is dropped:
the first string under a key that names speech (``line``, ``text``, ``dialogue``...), searched
through nested objects and lists; a list of strings is joined. A truncated object still gives
what was said so far. No spoken key at all (``{"action": "continue"}``) gives nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

SPOKEN_KEYS: tuple[str, ...] = (
    "line", "text", "dialogue", "dialog", "speech", "say", "says", "spoken", "reply", "response",
    "content", "message", "utterance", "words", "answer", "output",
)
SPEAKER_KEYS: tuple[str, ...] = ("speaker", "character", "name", "role")
_FENCE = re.compile(r"^```[A-Za-z]*[ \t]*\n?|\n?```\s*$")
_LENIENT = re.compile(r'"(' + "|".join(SPOKEN_KEYS) + r')"\s*:\s*"((?:[^"\\]|\\.)*)', re.I)


def starts_json(text: str) -> bool | None:
    """Whether a reply that starts with ``text`` (left-stripped) is JSON or a code fence; None
    while it cannot tell yet (``[`` may open a JSON list or an audio tag like ``[sighs]``)."""
    if text.startswith(("{", "```")):
        return True
    if text.startswith("`"):
        return None if "```".startswith(text) else False
    if text.startswith("["):
        rest = text[1:].lstrip()
        if not rest:
            return None
        return rest[0] in "{\"["
    return False


def json_end(text: str) -> int:
    """Where the JSON value (or fenced block) that ``text`` starts with ends; -1 while open."""
    if text.startswith("```"):
        close = text.find("```", 3)
        return -1 if close == -1 else close + 3
    depth, quoted, escaped = 0, False, False
    for index, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth <= 0:
                return index + 1
    return -1


def spoken_text(text: str, others: frozenset[str] = frozenset()) -> str:
    """The words a JSON reply says (see the module doc); ``others`` are other speakers' names,
    whose turns in a list are skipped."""
    body = _FENCE.sub("", text.strip()).strip()
    try:
        value = json.loads(body)
    except ValueError:
        return _lenient(body)
    if isinstance(value, str):
        return value
    return " ".join(_spoken(value, others).split())


def _spoken(value: Any, others: frozenset[str]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(part for part in (_spoken(v, others) for v in value) if part)
    if not isinstance(value, dict):
        return ""
    lowered = {str(k).lower(): v for k, v in value.items()}
    speaker = next((lowered[k] for k in SPEAKER_KEYS if isinstance(lowered.get(k), str)), None)
    if speaker is not None and speaker.strip().lower() in others:
        return ""
    for key in SPOKEN_KEYS:
        found = lowered.get(key)
        if isinstance(found, str | list | dict):
            words = _spoken(found, others)
            if words:
                return words
    for key, nested in lowered.items():  # {"james": {"line": ...}}
        if key not in SPEAKER_KEYS and isinstance(nested, dict | list):
            words = _spoken(nested, others)
            if words:
                return words
    return ""


def _lenient(body: str) -> str:
    """A truncated or broken object: the first spoken key's string so far."""
    match = _LENIENT.search(body)
    if match is None:
        return ""
    raw = match.group(2).rstrip("\\")
    try:
        return str(json.loads(f'"{raw}"'))
    except ValueError:
        return raw.replace('\\"', '"')
