"""What a player's page should show right now, kept from the event stream for ``Snapshot`` frames.

A reconnecting page (or a reloaded tab) rebuilds itself from one snapshot instead of a replay
of every event: the scene summary with the current gauges, controls and phase, the recent
transcript, the line being spoken, and the ending if the scene is over.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from digital_actors import events as ev
from web import protocol

TRANSCRIPT_LIMIT = 200
_TRANSCRIPT = (ev.PlayerSaid, ev.LineFinished, ev.Narration, ev.TurnFailed, ev.PhaseChanged)


class SessionView:
    """The player-visible state of one session, updated event by event (cheap, synchronous)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.started: dict[str, Any] | None = None
        self.transcript: deque[dict[str, Any]] = deque(maxlen=TRANSCRIPT_LIMIT)
        self.line: dict[str, Any] | None = None
        self.suggestions: list[str] = []
        self.game_over: dict[str, Any] | None = None
        self.paused = False
        self.elapsed = 0.0
        self.time_left: float | None = None

    def feed(self, event: ev.Event, body: dict[str, Any] | None) -> None:
        """Take one event (and its player view, already computed) into account."""
        if isinstance(event, ev.SceneStarted):
            self.reset()
            self.started = body
            return
        if body is None or self.started is None:
            return
        if isinstance(event, ev.StateChanged):
            self.started["gauges"] = body["gauges"]
            self.elapsed, self.time_left = event.elapsed, event.time_left
        elif isinstance(event, ev.ControlsChanged):
            self.started["controls"] = body["controls"]
        elif isinstance(event, ev.PhaseChanged):
            self.started["phase"], self.started["phase_title"] = event.phase, event.title
        elif isinstance(event, ev.LineStarted):
            self.line = {"line_id": event.line_id, "speaker": event.speaker,
                         "speaker_name": event.speaker_name, "text": ""}
        elif isinstance(event, ev.LineDelta) and self.line and self.line["line_id"] == event.line_id:
            self.line["text"] += event.text
        elif isinstance(event, ev.LineFinished):
            self.line = None
        elif isinstance(event, ev.Suggestions):
            self.suggestions = list(event.items)
        elif isinstance(event, ev.Paused):
            self.paused = event.paused
        elif isinstance(event, ev.GameOver):
            self.game_over = body
        if isinstance(event, ev.PlayerSaid):
            self.suggestions = []
        if isinstance(event, _TRANSCRIPT):
            self.transcript.append(body)

    def snapshot(self, **extra: Any) -> dict[str, Any]:
        """The body of a ``Snapshot`` frame."""
        return {"type": "Snapshot", "scene": self.started, "transcript": list(self.transcript),
                "line": self.line, "suggestions": self.suggestions, "game_over": self.game_over,
                "paused": self.paused, "elapsed": self.elapsed, "time_left": self.time_left, **extra}

    def snapshot_frame(self, **extra: Any) -> str:
        return protocol.dumps(self.snapshot(**extra))
