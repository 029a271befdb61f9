"""The page's view of one session: the shared ``PlayerView`` (digital_actors/view.py), kept from
the event stream, sent whole in ``Snapshot`` frames and in part with the events that change it.

A reconnecting page (or a reloaded tab) rebuilds itself from one snapshot instead of a replay
of every event. Live frames carry a ``view`` patch (only the parts the event changed), so the
page never computes a rule itself: danger levels, countdown text, the key map and the
end-of-scene rows all come from Python.
"""

from __future__ import annotations

from typing import Any

from digital_actors import events as ev
from digital_actors.view import Part, PlayerView, ViewReducer
from web import protocol

# Which keys of the view's JSON each changed part refreshes.
PATCH: dict[Part, tuple[str, ...]] = {
    "scene": ("started", "title", "tagline", "role", "performer", "difficulty", "minutes", "cast"),
    "gauges": ("gauges", "clock"), "countdown": ("countdown", "urgent", "clock"),
    "controls": ("controls", "keys"), "phase": ("phase",), "line": ("line",), "over": ("over",),
    "suggestions": ("suggestions",), "paused": ("paused",), "name": ("name",),
}


class SessionView:
    """The player-visible state of one session, updated event by event (cheap, synchronous)."""

    def __init__(self, *, view: PlayerView | None = None) -> None:
        self.reducer = ViewReducer(view=view)

    def reset(self) -> None:
        """No scene any more (the player left it); the name they gave stays."""
        name = self.view.name
        self.reducer = ViewReducer()
        self.reducer.view.name = name

    def forget_name(self) -> None:
        self.reducer.view.name = ""

    @property
    def view(self) -> PlayerView:
        return self.reducer.view

    def feed(self, event: ev.Event) -> dict[str, Any] | None:
        """Take one event into account; the view patch for its frame (None when nothing shows)."""
        parts = self.reducer.feed(event)
        keys = {k for part in parts for k in PATCH.get(part, ())}
        if not keys:
            return None
        return self.view.to_json(sorted(keys))

    def snapshot(self, **extra: Any) -> dict[str, Any]:
        """The body of a ``Snapshot`` frame."""
        return {"type": "Snapshot", "view": self.view.to_json(), **extra}

    def snapshot_frame(self, **extra: Any) -> str:
        return protocol.dumps(self.snapshot(**extra))
