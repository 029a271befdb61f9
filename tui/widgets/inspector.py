"""The writer's inspector: every variable (hidden too), signals, director decisions, line sources,
timings and the last prompt. Repaints at most ``hz`` times a second, whatever the event rate."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from digital_actors import events as ev

KEEP = 8  # entries kept per section: enough to follow a turn, short enough for 24 rows


class Inspector(VerticalScroll):
    """Hidden until toggled; reads ``session.world`` and the inspector events."""

    def __init__(self, *, hz: float = 4.0, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=True)
        self._hz = hz
        self.session: Any = None
        self.signals: deque[str] = deque(maxlen=KEEP)
        self.director: deque[str] = deque(maxlen=KEEP)
        self.sources: deque[str] = deque(maxlen=KEEP)
        self.timings: deque[str] = deque(maxlen=KEEP)
        self.reloads: deque[str] = deque(maxlen=4)
        self._dirty = True

    def compose(self) -> ComposeResult:
        for section in ("state", "signals", "director", "sources", "timings", "prompt", "reloads"):
            yield Static("", id=f"i-{section}", classes="inspector-section")

    def on_mount(self) -> None:
        self.set_interval(1 / self._hz, self._tick)

    def attach(self, session: Any) -> None:
        self.session = session
        self.mark()

    def mark(self) -> None:
        self._dirty = True

    def record(self, event: ev.Event) -> None:
        """Keep what the inspector shows from one event."""
        if isinstance(event, ev.SignalFired):
            self.signals.appendleft(f"{event.signal_id} ({event.about}, {event.source})")
        elif isinstance(event, ev.DirectorNote):
            self.director.appendleft(f"{event.rule_id} → {event.action}: {event.text}  [when {event.reason}]")
        elif isinstance(event, ev.LineStarted):
            self.sources.appendleft(f"{event.line_id.rsplit('-', 1)[-1]} {event.cue}: {event.source or '—'}")
        elif isinstance(event, ev.Timing):
            first = "—" if event.first_token_ms is None else f"{event.first_token_ms:.0f}"
            audio = "—" if event.first_audio_ms is None else f"{event.first_audio_ms:.0f}"
            self.timings.appendleft(f"{event.line_id.rsplit('-', 1)[-1]}: token {first} · audio {audio} · "
                                    f"total {event.total_ms:.0f} (ms)")
        else:
            return
        self._dirty = True

    def reload_note(self, text: str) -> None:
        self.reloads.appendleft(text)
        self._dirty = True

    def _tick(self) -> None:
        if self._dirty and self.display:
            self.repaint()

    def repaint(self) -> None:
        self._dirty = False
        self._section("state", "State (hidden marked ·)", self._state_lines())
        fired = []
        if self.session is not None:
            fired = [f"{k} ×{v}" for k, v in self.session.world.fired.items() if v]
        self._section("signals", "Signals fired", [", ".join(fired) or "none yet", *self.signals])
        self._section("director", "Director", list(self.director) or ["no decisions yet"])
        self._section("sources", "Line sources", list(self.sources) or ["no lines yet"])
        self._section("timings", "Timings", list(self.timings) or ["no lines yet"], wrap=False)
        prompt = self.session.actor.last_prompt if self.session is not None else None
        self._section("prompt", "Last prompt", [str(prompt)] if prompt else ["no model active"])
        self._section("reloads", "Hot reload", list(self.reloads) or ["watching the scene folder"])

    def _state_lines(self) -> list[str]:
        s = self.session
        if s is None:
            return ["no scene running"]
        w = s.world
        hidden = set(w.hidden())
        lines = [f"phase {w.phase.id} “{w.phase.title}” · elapsed {w.elapsed:.0f}s · idle {w.idle:.0f}s"]
        for name, value in w.values.items():
            lines.append(f"{'·' if name in hidden else ' '} {name} = {value:g}")
        pressed = ", ".join(f"{k} {v}" for k, v in w.pressed.items() if v)
        if pressed:
            lines.append(f"  uses: {pressed}")
        if s.notes:
            lines.append("  notes: " + " | ".join(s.notes))
        return lines

    def _section(self, key: str, title: str, lines: list[str], *, wrap: bool = True) -> None:
        text = Text(title + "\n", style="bold", no_wrap=not wrap, overflow="ellipsis")
        text.append("\n".join(lines))
        self.query_one(f"#i-{key}", Static).update(text)
