"""How a session runs (its seed, speed, difficulty, writers' overrides): chosen at start, kept by a snapshot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How a session runs. ``speed`` multiplies the scene clock (writers testing timing)."""

    seed: int = 0
    speed: float = 1.0
    difficulty: str | None = None  # None: from the player's memory (normal for a new player)
    start_phase: int | None = None
    overrides: tuple[tuple[str, float], ...] = ()
    suggestions: bool = True
    tick: float = 1.0
