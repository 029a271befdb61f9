"""A session's playthrough as plain, JSON-ready data: what another process needs to go on with it.

``Session.snapshot()`` makes one; ``Session.restore(snapshot)`` (before ``start()``) continues it:
the world's values, phase, latches and cooldowns, the scene clock, the recent dialogue, the notes,
the player's name, the options (seed, difficulty) and what the actor remembers having said. What
is not kept: a line in progress (the resumed session replies again to an unanswered player line),
a judge's verdict still in flight, and the judge's cache. Pure: no storage, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from digital_actors.player import Recollection
from digital_actors.turn.options import SessionOptions
from digital_actors.turn.ports import ActorMemo
from digital_actors.world import WorldState

SNAPSHOT_VERSION = 2  # 2: ``memory`` became ``recollection``
# Turns of dialogue a snapshot keeps: the prompt's verbatim window and its running summary (24)
# fit, and a long scene's snapshot stays a few kilobytes.
HISTORY_WINDOW = 40


class SnapshotError(ValueError):
    """Data that is not a snapshot this version can continue (another version, a damaged blob)."""


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    """One playthrough of one scene, as plain values."""

    scene_id: str
    options: SessionOptions
    world: WorldState
    recollection: Recollection
    history: tuple[tuple[str, str], ...] = ()  # (who, text), the last HISTORY_WINDOW turns
    earlier_lines: int = 0  # the character's lines before ``history`` (GameOver counts them all)
    notes: tuple[str, ...] = ()
    player_name: str = ""
    paused: bool = False
    actions: int = 0
    over: bool = False  # GameOver was emitted
    actor: ActorMemo | None = None
    version: int = field(default=SNAPSHOT_VERSION)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (``json.dumps`` takes it as is)."""
        data: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SessionSnapshot:
        """The inverse of ``to_dict``. Raises SnapshotError for anything else."""
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            found = data.get("version") if isinstance(data, dict) else type(data).__name__
            raise SnapshotError(f"not a version {SNAPSHOT_VERSION} session snapshot (found {found!r})")
        try:
            return _ADAPTER.validate_python(data)
        except ValidationError as e:
            raise SnapshotError(f"damaged session snapshot: {e.error_count()} problem(s), first: "
                                f"{e.errors(include_url=False)[0]['msg']}") from e


_ADAPTER: TypeAdapter[SessionSnapshot] = TypeAdapter(SessionSnapshot)
