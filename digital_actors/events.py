"""The engine's only output vocabulary: typed, frozen events that front ends render.

Text is plain (no markup); audio tags are already stripped from displayed text.
``to_dict`` gives a JSON-ready form whose ``type`` is the class name.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every engine event."""


@dataclass(frozen=True, slots=True)
class CastMember:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ControlView:
    """A control as the player sees it now: available or not, and why not."""

    id: str
    label: str
    key: str
    available: bool
    reason: str | None = None
    uses_left: int | None = None
    cooldown_left: float = 0.0


Level = Literal["ok", "warning", "danger"]
WARN_MARGIN = 0.15  # within 15% of the range from the danger line a value is a warning


def danger_level(value: float, low: float, high: float, danger: float | None, below: bool) -> Level:
    """The one danger rule every front end and the prompt use: at or past ``danger`` is danger,
    within ``WARN_MARGIN`` of the range before it a warning."""
    if danger is None:
        return "ok"
    margin = WARN_MARGIN * max(high - low, 1e-9)
    if below:
        return "danger" if value <= danger else "warning" if value <= danger + margin else "ok"
    return "danger" if value >= danger else "warning" if value >= danger - margin else "ok"


@dataclass(frozen=True, slots=True)
class GaugeView:
    """A visible state variable with its presentation hints; ``level`` is computed, never given."""

    id: str
    label: str
    value: float
    min: float
    max: float
    unit: str
    show: Literal["gauge", "number"]
    danger: float | None = None
    danger_below: bool = False
    level: Level = field(init=False, default="ok")

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", danger_level(self.value, self.min, self.max, self.danger,
                                                        self.danger_below))


@dataclass(frozen=True, slots=True)
class SceneStarted(Event):
    scene_id: str
    title: str
    tagline: str
    player_role: str
    cast: tuple[CastMember, ...]
    gauges: tuple[GaugeView, ...]
    controls: tuple[ControlView, ...]
    phase: int
    phase_title: str
    performer: str
    minutes: float
    difficulty: str = "normal"
    time_left: float | None = None  # the scene's countdown, when it has one (seconds)


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    """Changed values and the full visible snapshot; ``hidden`` is for the inspector only."""

    changed: dict[str, float]
    gauges: tuple[GaugeView, ...]
    elapsed: float
    hidden: dict[str, float] = field(default_factory=dict)
    time_left: float | None = None


@dataclass(frozen=True, slots=True)
class ControlsChanged(Event):
    controls: tuple[ControlView, ...]


@dataclass(frozen=True, slots=True)
class PhaseChanged(Event):
    phase: int
    title: str


@dataclass(frozen=True, slots=True)
class PlayerSaid(Event):
    """What the player said, echoed so every front end's transcript agrees."""

    text: str


@dataclass(frozen=True, slots=True)
class PlayerNamed(Event):
    """The player told the character their name (recognised in their words, or set by them)."""

    name: str


@dataclass(frozen=True, slots=True)
class LineStarted(Event):
    line_id: str
    speaker: str
    speaker_name: str
    cue: str
    source: str = ""
    voiced: bool = False  # its audio follows (SpeechStarted, AudioChunk): text can wait for the voice


@dataclass(frozen=True, slots=True)
class SpeechStarted(Event):
    """A sentence of a line starts to be heard: its audio chunks follow. A page that plays the
    voice reveals this sentence's text with its audio (text never runs ahead of the voice)."""

    line_id: str
    sentence: int
    text: str


@dataclass(frozen=True, slots=True)
class LineDelta(Event):
    line_id: str
    text: str


@dataclass(frozen=True, slots=True)
class LineFinished(Event):
    """The end of a line. ``interrupted``: cut off; ``by_player``: cut off by the player speaking;
    ``failed``: the actor failed the line (model error, timeout, empty answer, open breaker), so
    the player saw the script's stand-in or a line cut short."""

    line_id: str
    speaker: str
    text: str
    interrupted: bool = False
    by_player: bool = False
    failed: bool = False


@dataclass(frozen=True, slots=True)
class AudioChunk(Event):
    """PCM16 mono little-endian audio for a line, in order of ``seq``."""

    line_id: str
    seq: int
    sample_rate: int
    pcm: bytes


@dataclass(frozen=True, slots=True)
class AudioFinished(Event):
    """The end of a line's audio; ``interrupted`` when it was cut off (stop playback now)."""

    line_id: str
    chunks: int
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class Narration(Event):
    """Non-character text: control feedback, refusals, director events, system notices."""

    text: str
    kind: Literal["feedback", "refusal", "director", "interruption", "system", "ending"] = "system"
    control_id: str = ""


@dataclass(frozen=True, slots=True)
class Suggestions(Event):
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SignalFired(Event):
    """A signal answered yes (inspector data)."""

    signal_id: str
    about: str
    source: str


@dataclass(frozen=True, slots=True)
class DirectorNote(Event):
    """What the director decided and why (inspector data)."""

    rule_id: str
    action: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class GameOver(Event):
    ending_id: str
    kind: Literal["success", "failure"]
    title: str
    epilogue: str
    elapsed: float
    stats: dict[str, float] = field(default_factory=dict)
    hint: str = ""  # after a failure: the ending's authored hint for the next attempt


@dataclass(frozen=True, slots=True)
class TurnFailed(Event):
    message: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Notice(Event):
    message: str
    level: Literal["info", "warning", "error"] = "info"
    # What the notice is about, so a front end whose player is not the operator (the web page)
    # can word it for them: "memory" (not read), "saving" (not being saved), "saving_back",
    # "performer", "voice", "voice_failed", "model" (the model stopped answering), "model_back";
    # "" for notices already in the player's words.
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Paused(Event):
    paused: bool


@dataclass(frozen=True, slots=True)
class Timing(Event):
    """Per-line latencies in milliseconds (None where not measured)."""

    line_id: str
    first_token_ms: float | None
    first_sentence_ms: float | None
    first_audio_ms: float | None
    total_ms: float
    input_tokens: int | None = None   # model lines only: prompt tokens (cached ones included)
    output_tokens: int | None = None


def to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict: ``{"type": ClassName, ...fields}``; bytes become base64."""
    out: dict[str, Any] = {"type": type(event).__name__}
    for f in dataclasses.fields(event):
        out[f.name] = _plain(getattr(event, f.name))
    return out


def plain(value: Any) -> Any:
    """A dataclass (a gauge, a control) or any value as JSON-ready data."""
    return _plain(value)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
