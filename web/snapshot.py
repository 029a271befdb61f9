"""A web player's session as bytes, for another process to go on with it (the shared store keeps them).

What travels: who the player is (their id, the name they gave, their voice and suggestion switches,
whether they paused), the scene's playthrough (``SessionSnapshot``), the attempt memory is recording
(``AttemptState``) and the page's view with the last ``TRANSCRIPT_KEPT`` entries, so a page that
reconnects elsewhere gets the same Snapshot frame. Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from digital_actors.memory.observer import AttemptState
from digital_actors.turn.snapshot import SessionSnapshot, SnapshotError
from digital_actors.view import PlayerView, view_from_state, view_state

VERSION = 1
TRANSCRIPT_KEPT = 60  # transcript entries a page gets back after a move (it keeps 200 while it stays)


@dataclass(slots=True)
class PlayerState:
    """Everything about one web player's session that another process needs."""

    player_id: str
    given_name: str = ""
    voice: bool = True
    suggestions: bool | None = None
    paused_by_player: bool = False
    remembered: bool = False  # the player's memory row exists (made at their first scene)
    scene: SessionSnapshot | None = None
    attempt: AttemptState | None = None
    view: PlayerView = field(default_factory=PlayerView)


def dumps(state: PlayerState) -> bytes:
    """Compact JSON, UTF-8."""
    body: dict[str, Any] = {
        "v": VERSION, "player_id": state.player_id, "given_name": state.given_name, "voice": state.voice,
        "suggestions": state.suggestions, "paused_by_player": state.paused_by_player,
        "remembered": state.remembered,
        "scene": None if state.scene is None else state.scene.to_dict(),
        "attempt": None if state.attempt is None else state.attempt.to_dict(),
        "view": view_state(state.view, transcript=TRANSCRIPT_KEPT),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def loads(blob: bytes) -> PlayerState:
    """The inverse of ``dumps``. Raises ValueError (SnapshotError for a scene that cannot go on)."""
    try:
        body = json.loads(blob)
    except (ValueError, RecursionError) as e:
        raise SnapshotError(f"not a player snapshot: {e}") from None
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise SnapshotError(f"not a version {VERSION} player snapshot")
    suggestions = body.get("suggestions")
    return PlayerState(
        player_id=str(body["player_id"]), given_name=str(body.get("given_name", "")),
        voice=bool(body.get("voice", True)), suggestions=None if suggestions is None else bool(suggestions),
        paused_by_player=bool(body.get("paused_by_player", False)), remembered=bool(body.get("remembered", False)),
        scene=None if body.get("scene") is None else SessionSnapshot.from_dict(body["scene"]),
        attempt=None if body.get("attempt") is None else AttemptState.from_dict(body["attempt"]),
        view=view_from_state(body.get("view", {})))
