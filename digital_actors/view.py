"""What a player sees, computed once from the engine's events: the line mode, the terminal game
and the web page all draw this, so a presentation rule (a countdown's text, which key presses
which control, what the end-of-scene stats say) is written once.

``ViewReducer.feed(event)`` updates a ``PlayerView`` and returns the parts that changed, so a
front end redraws only those. Pure: no I/O, no UI library. The danger rule itself lives with
the gauge (``events.danger_level``) because the prompt needs it too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from digital_actors import events as ev

Part = Literal["scene", "gauges", "countdown", "controls", "phase", "transcript", "line", "suggestions",
               "paused", "over", "name"]
EntryKind = Literal["you", "actor", "narration", "phase", "problem"]
ControlState = Literal["ready", "cooling", "used_up", "over", "locked"]
TRANSCRIPT_LIMIT = 200
URGENT_SECONDS = 30  # a countdown at or under this is shown as urgent


def clock_text(seconds: float) -> str:
    """``m:ss``; 0.2 s left still shows 0:01 (the countdown reads 0:00 only when time is up)."""
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


def countdown_text(seconds: float | None) -> str | None:
    return None if seconds is None else f"{clock_text(seconds)} left"


def value_text(gauge: ev.GaugeView) -> str:
    """A gauge's number as shown: whole numbers unless a small value needs its decimal."""
    v = gauge.value
    shown = f"{v:.0f}" if abs(v - round(v)) < 0.05 or abs(v) >= 10 else f"{v:.1f}"
    return f"{shown}{gauge.unit}"


def fraction(gauge: ev.GaugeView) -> float:
    """How full a gauge's bar is, 0..1."""
    span = gauge.max - gauge.min
    return 0.0 if span <= 0 else min(1.0, max(0.0, (gauge.value - gauge.min) / span))


def control_state(control: ev.ControlView) -> ControlState:
    """Why a control can or cannot be pressed, in the world's order of reasons (the scene is over, its
    condition, its uses, its cooldown): "locked" is its condition, the one a scene unlocks."""
    if control.available:
        return "ready"
    if control.reason == "the scene is over":
        return "over"
    if control.uses_left is not None and control.uses_left <= 0:
        return "used_up"
    if control.cooldown_left > 0 and (control.reason or "").startswith("cooling down"):
        return "cooling"
    return "locked"


def unlocked(before: tuple[ev.ControlView, ...], after: tuple[ev.ControlView, ...]) -> list[ev.ControlView]:
    """Controls that were locked and can be pressed now (a cooldown running out is not an unlock)."""
    was = {c.id: control_state(c) for c in before}
    return [c for c in after if was.get(c.id) == "locked" and control_state(c) == "ready"]


def danger_crossings(before: tuple[ev.GaugeView, ...], after: tuple[ev.GaugeView, ...]) -> tuple[
        list[ev.GaugeView], list[ev.GaugeView]]:
    """Gauges that crossed their danger mark: (into danger, back out of it)."""
    was = {g.id for g in before if g.level == "danger"}
    now = {g.id for g in after if g.level == "danger"}
    return [g for g in after if g.id in now - was], [g for g in after if g.id in was - now]


def gauge_line(gauges: tuple[ev.GaugeView, ...]) -> str:
    """Every visible gauge on one line, a gauge in danger marked with "!": ``Air 18%! | Depth 40 m``."""
    return " | ".join(f"{g.label} {value_text(g)}{'!' if g.level == 'danger' else ''}" for g in gauges)


@dataclass(frozen=True, slots=True)
class Entry:
    """One transcript entry: what the player said, a character's line, narration, a phase title."""

    kind: EntryKind
    text: str
    who: str = ""          # the speaker's name (actor lines)
    speaker: str = ""      # the speaker's cast id (actor lines)
    line_id: str = ""
    cut: bool = False      # the line was cut off
    narration: str = ""    # the narration's kind: feedback, refusal, director, interruption, ...


@dataclass(slots=True)
class PlayerView:
    """Everything a player's screen shows right now."""

    title: str = ""
    tagline: str = ""
    role: str = ""
    performer: str = ""
    difficulty: str = "normal"
    minutes: float = 0.0
    cast: dict[str, str] = field(default_factory=dict)
    phase: str = ""
    gauges: tuple[ev.GaugeView, ...] = ()
    time_left: float | None = None
    elapsed: float = 0.0
    controls: tuple[ev.ControlView, ...] = ()
    transcript: deque[Entry] = field(default_factory=lambda: deque(maxlen=TRANSCRIPT_LIMIT))
    line: Entry | None = None  # the line being spoken, as far as it has come
    suggestions: tuple[str, ...] = ()
    paused: bool = False
    over: ev.GameOver | None = None
    name: str = ""  # the name the player gave
    started: bool = False

    def control_for_key(self, key: str) -> ev.ControlView | None:
        """The control a key presses (the one key map of every front end)."""
        return next((c for c in self.controls if c.key and c.key == key), None)

    def control(self, control_id: str) -> ev.ControlView | None:
        return next((c for c in self.controls if c.id == control_id), None)

    @property
    def keys(self) -> dict[str, str]:
        return {c.key: c.id for c in self.controls if c.key}

    @property
    def countdown(self) -> str | None:
        return countdown_text(self.time_left)

    @property
    def urgent(self) -> bool:
        return self.time_left is not None and self.time_left <= URGENT_SECONDS

    @property
    def speaking(self) -> str | None:
        return self.line.who if self.line is not None else None

    def stats(self) -> list[tuple[str, str]]:
        """The end-of-scene figures in the player's words (never an internal id)."""
        if self.over is None:
            return []
        rows = [("Time", clock_text(self.over.elapsed))]
        stats = self.over.stats
        if "lines" in stats:
            rows.append(("Lines spoken", f"{stats['lines']:.0f}"))
        for control in self.controls:
            used = stats.get(f"uses.{control.id}", 0.0)
            if used:
                rows.append((control.label.title(), "used once" if used == 1 else f"used {used:.0f} times"))
        return rows

    def to_json(self, keys: Iterable[str] | None = None) -> dict[str, Any]:
        """The whole view for a page that (re)builds itself: JSON-ready, text only. With ``keys``, only
        those (a live frame's patch: a token's frame must not rebuild a 200-entry transcript)."""
        wanted = _JSON if keys is None else keys
        return {key: _JSON[key](self) for key in wanted}


_JSON: dict[str, Callable[[PlayerView], Any]] = {
    "started": lambda v: v.started, "title": lambda v: v.title, "tagline": lambda v: v.tagline,
    "role": lambda v: v.role, "performer": lambda v: v.performer, "difficulty": lambda v: v.difficulty,
    "minutes": lambda v: v.minutes, "cast": lambda v: v.cast, "phase": lambda v: v.phase,
    "gauges": lambda v: [ev.plain(g) | {"text": value_text(g), "fraction": fraction(g)} for g in v.gauges],
    "countdown": lambda v: v.countdown, "urgent": lambda v: v.urgent, "elapsed": lambda v: v.elapsed,
    "clock": lambda v: v.countdown or clock_text(v.elapsed),
    "controls": lambda v: [ev.plain(c) for c in v.controls], "keys": lambda v: v.keys,
    "transcript": lambda v: [_entry_json(e) for e in v.transcript],
    "line": lambda v: None if v.line is None else _entry_json(v.line),
    "suggestions": lambda v: list(v.suggestions), "paused": lambda v: v.paused,
    "over": lambda v: None if v.over is None else {**ev.to_dict(v.over), "rows": v.stats()},
    "name": lambda v: v.name,
}


def view_state(view: PlayerView, *, transcript: int = TRANSCRIPT_LIMIT) -> dict[str, Any]:
    """The view's own fields as JSON-ready data, with the last ``transcript`` entries: a front end
    in another process rebuilds the same screen from it (``view_from_state``). Not the page's format
    (that is ``to_json``, which adds what is computed from these)."""
    data: dict[str, Any] = _VIEW.dump_python(view, mode="json")
    data["transcript"] = data["transcript"][-transcript:] if transcript > 0 else []
    return data


def view_from_state(data: Any, *, limit: int = TRANSCRIPT_LIMIT) -> PlayerView:
    """The inverse of ``view_state``. Raises ValueError for anything else."""
    try:
        view = _VIEW.validate_python(data)
    except ValidationError as e:
        raise ValueError(f"not a player view: {e.error_count()} problem(s)") from e
    view.transcript = deque(view.transcript, maxlen=limit)
    return view


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {"kind": entry.kind, "text": entry.text, "who": entry.who, "speaker": entry.speaker,
            "line_id": entry.line_id, "cut": entry.cut, "narration": entry.narration}


_VIEW: TypeAdapter[PlayerView] = TypeAdapter(PlayerView)


class ViewReducer:
    """Feeds events into one ``PlayerView``; each ``feed`` returns the parts it changed."""

    def __init__(self, *, limit: int = TRANSCRIPT_LIMIT, view: PlayerView | None = None) -> None:
        self.limit = limit
        self.view = view or PlayerView(transcript=deque(maxlen=limit))

    def feed(self, event: ev.Event) -> frozenset[Part]:
        v = self.view
        match event:
            case ev.SceneStarted():
                name = v.name
                self.view = v = PlayerView(transcript=deque(maxlen=self.limit), name=name, started=True)
                v.title, v.tagline, v.role, v.performer = event.title, event.tagline, event.player_role, event.performer
                v.difficulty, v.minutes = event.difficulty, event.minutes
                v.cast = {c.id: c.name for c in event.cast}
                v.phase, v.gauges, v.controls = event.phase_title, event.gauges, event.controls
                v.time_left = event.time_left
                return frozenset({"scene", "gauges", "countdown", "controls", "phase", "transcript", "line",
                                  "suggestions", "paused", "over"})
            case ev.StateChanged():
                v.gauges, v.elapsed = event.gauges, event.elapsed
                changed: set[Part] = {"gauges"}
                if event.time_left != v.time_left:
                    v.time_left = event.time_left
                    changed.add("countdown")
                return frozenset(changed)
            case ev.ControlsChanged():
                v.controls = event.controls
                return frozenset({"controls"})
            case ev.PhaseChanged():
                v.phase = event.title
                v.transcript.append(Entry("phase", event.title))
                return frozenset({"phase", "transcript"})
            case ev.PlayerSaid():
                v.transcript.append(Entry("you", event.text, who="You"))
                v.suggestions = ()
                return frozenset({"transcript", "suggestions"})
            case ev.LineStarted():
                v.line = Entry("actor", "", who=event.speaker_name or v.cast.get(event.speaker, event.speaker),
                               speaker=event.speaker, line_id=event.line_id)
                return frozenset({"line"})
            case ev.LineDelta():
                if v.line is not None and v.line.line_id == event.line_id:
                    v.line = Entry("actor", v.line.text + event.text, who=v.line.who, speaker=v.line.speaker,
                                   line_id=v.line.line_id)
                    return frozenset({"line"})
                return frozenset()
            case ev.LineFinished():
                who = v.line.who if v.line is not None and v.line.line_id == event.line_id else \
                    v.cast.get(event.speaker, event.speaker)
                v.line = None
                if event.text or event.interrupted:
                    v.transcript.append(Entry("actor", event.text, who=who, speaker=event.speaker,
                                              line_id=event.line_id, cut=event.interrupted))
                return frozenset({"line", "transcript"})
            case ev.Narration():
                v.transcript.append(Entry("narration", event.text, narration=event.kind))
                return frozenset({"transcript"})
            case ev.TurnFailed():
                v.transcript.append(Entry("problem", event.message))
                return frozenset({"transcript"})
            case ev.Suggestions():
                v.suggestions = event.items
                return frozenset({"suggestions"})
            case ev.Paused():
                v.paused = event.paused
                return frozenset({"paused"})
            case ev.GameOver():
                v.over, v.line = event, None
                v.transcript.append(Entry("narration", event.title, narration="ending"))
                return frozenset({"over", "line", "transcript"})
            case ev.PlayerNamed():
                v.name = event.name
                return frozenset({"name"})
        return frozenset()
