"""The WebSocket protocol, pure: client commands in, player-safe frames out (DESIGN §7).

Client -> server: one JSON object per text frame, ``{"type": ..., ...}``:

    start{scene}  say{text}  press{control}  interrupt  restart  pause  resume{snapshot?}  leave
    settings{voice?, suggestions?, text_speed?}  name{name}

``name`` is what the characters call the player (the player id is never spoken); it is
confirmed with a ``PlayerNamed`` frame and remembered with the player's memory.

``resume`` continues a session the player paused and asks for a ``Snapshot`` frame (sent after
every reconnect; ``"snapshot": false`` only resumes). ``leave`` ends the scene (its attempt is
recorded as ``quit`` unless it had ended) and answers with a ``Snapshot`` of no scene; no frame of
the scene that was left follows it. ``text_speed`` (slow, normal, fast, instant) paces the
script's lines from the next scene or restart. A bad frame gets an ``Error`` frame (``code``,
``message`` and ``hint`` in the player's words, ``detail`` for the developer); it never closes
the socket.

Server -> client: engine events as JSON (``events.to_dict``), without what only the inspector
may see (``StateChanged.hidden``, ``DirectorNote``, ``SignalFired``), each with a ``view``
patch of the shared player view when it changed it (web/view.py), plus ``Error``,
``Snapshot`` (``{"view": <the whole view>}``) and ``Welcome`` frames. ``AudioChunk`` travels as a binary frame:

    offset  size  field
    0       1     magic 0xDA
    1       1     version (1)
    2       1     line-id length L (bytes of UTF-8, at most 255)
    3       L     line id (UTF-8)
    3+L     4     seq, uint32 little-endian
    7+L     4     sample rate in Hz, uint32 little-endian
    11+L    ...   PCM: signed 16-bit little-endian, mono
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from digital_actors import events as ev
from web import wording

AUDIO_MAGIC = 0xDA
AUDIO_VERSION = 1
MAX_SAY_CHARS = 1000
MAX_ID_CHARS = 80
MAX_NAME_CHARS = 40
_AUDIO_TAIL = struct.Struct("<II")


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


class Start(_Command):
    type: Literal["start"]
    scene: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]


class Say(_Command):
    type: Literal["say"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_SAY_CHARS)]


class Press(_Command):
    type: Literal["press"]
    control: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]


class Interrupt(_Command):
    type: Literal["interrupt"]


class Restart(_Command):
    type: Literal["restart"]


class Pause(_Command):
    type: Literal["pause"]


class Resume(_Command):
    type: Literal["resume"]
    snapshot: bool = True  # false: only resume the clock (the page already shows everything)


class Leave(_Command):
    type: Literal["leave"]


TextSpeed = Literal["slow", "normal", "fast", "instant"]
# How long the script's lines take to stream, as a share of the reading pace (instant: at once).
TEXT_SPEEDS: dict[str, float] = {"slow": 1.8, "normal": 1.0, "fast": 0.45, "instant": 0.0}


class SettingsCommand(_Command):
    type: Literal["settings"]
    voice: bool | None = None
    suggestions: bool | None = None
    text_speed: TextSpeed | None = None


class SetName(_Command):
    type: Literal["name"]
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]


Command = Start | Say | Press | Interrupt | Restart | Pause | Resume | Leave | SettingsCommand | SetName
_ADAPTER: TypeAdapter[Command] = TypeAdapter(Annotated[Command, Field(discriminator="type")])
COMMAND_TYPES = ("start", "say", "press", "interrupt", "restart", "pause", "resume", "leave", "settings", "name")


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """Why a client frame was refused, for an ``Error`` frame. ``code`` is machine-readable;
    ``message`` is for the developer (the frame's ``detail``): the player reads a plain sentence."""

    code: str
    message: str

    def frame(self) -> str:
        return error_frame(self.code, wording.BAD_COMMAND, wording.BAD_COMMAND_HINT, detail=self.message)


def parse_command(raw: str | bytes) -> Command | ProtocolError:
    """A validated command, or the reason the frame is not one. Never raises."""
    if isinstance(raw, bytes):
        return ProtocolError("binary_not_accepted", "send commands as JSON text frames")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError, int digit limit, deep nesting
        return ProtocolError("bad_json", "the frame is not valid JSON")
    if not isinstance(data, dict):
        return ProtocolError("bad_message", "expected a JSON object like {\"type\": \"say\", \"text\": \"hi\"}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in COMMAND_TYPES:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else type(kind).__name__
        return ProtocolError("unknown_type", f"unknown message type {shown!r}; known: {', '.join(COMMAND_TYPES)}")
    try:
        return _ADAPTER.validate_python(data)
    except (ValidationError, RecursionError) as e:
        return ProtocolError("invalid", f"{kind}: {_describe(e)}")


def _describe(error: ValidationError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "too deeply nested"
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in item["loc"][1:]) or "message"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def error_frame(code: str, message: str, hint: str | None = None, *, detail: str | None = None) -> str:
    """An ``Error`` frame: the command was refused; the session goes on. ``message`` and ``hint``
    are shown to the player; ``detail`` (a developer's explanation) never is."""
    body: dict[str, Any] = {"type": "Error", "code": code, "message": message}
    if hint:
        body["hint"] = hint
    if detail:
        body["detail"] = detail
    return dumps(body)


def dumps(body: dict[str, Any]) -> str:
    """Compact JSON; non-finite numbers become null so browsers can parse every frame."""
    return json.dumps(_finite(body), separators=(",", ":"), ensure_ascii=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# Never sent as JSON: the inspector's events (hidden state, the director's mind) and audio (binary).
PRIVATE_EVENTS = (ev.DirectorNote, ev.SignalFired, ev.AudioChunk)


def player_view(event: ev.Event) -> dict[str, Any] | None:
    """The JSON body a player may see for ``event``; None for private and audio events, and for
    notices that are the operator's business (``web/wording.py`` words the rest for a player)."""
    if isinstance(event, PRIVATE_EVENTS):
        return None
    if isinstance(event, ev.Notice):
        worded = wording.notice(event)
        if worded is None:
            return None
        event = worded
    body = ev.to_dict(event)
    if isinstance(event, ev.StateChanged):
        body.pop("hidden", None)
    return body


def encode_audio(chunk: ev.AudioChunk) -> bytes:
    """The binary frame for one audio chunk (layout in the module docstring)."""
    line = chunk.line_id.encode("utf-8")[:255]
    head = bytes((AUDIO_MAGIC, AUDIO_VERSION, len(line))) + line
    return head + _AUDIO_TAIL.pack(chunk.seq & 0xFFFFFFFF, chunk.sample_rate & 0xFFFFFFFF) + chunk.pcm


def decode_audio(frame: bytes) -> ev.AudioChunk:
    """The inverse of ``encode_audio`` (tests, the load benchmark). Raises ValueError."""
    if len(frame) < 3 or frame[0] != AUDIO_MAGIC or frame[1] != AUDIO_VERSION:
        raise ValueError("not a Digital Actors audio frame")
    size = frame[2]
    if len(frame) < 3 + size + _AUDIO_TAIL.size:
        raise ValueError("audio frame header is truncated")
    line_id = frame[3:3 + size].decode("utf-8", errors="replace")
    seq, rate = _AUDIO_TAIL.unpack_from(frame, 3 + size)
    return ev.AudioChunk(line_id, seq, rate, bytes(frame[3 + size + _AUDIO_TAIL.size:]))
