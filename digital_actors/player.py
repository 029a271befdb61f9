"""What a session knows about its player at start: read-only, built by a memory store
(``MemoryStore.recollection``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Difficulty = Literal["easy", "normal", "hard"]


@dataclass(frozen=True, slots=True)
class Recollection:
    """What the characters recall of one player: their history with one scene and its lead character."""

    player_id: str = ""
    player_name: str = ""
    attempts: int = 0          # finished or abandoned attempts at this scene before this one
    successes: int = 0
    last_outcome: str | None = None
    last_ending: str | None = None
    difficulty: Difficulty = "normal"
    trust: float = 50.0
    familiarity: float = 0.0
    personality: dict[str, float] = field(default_factory=dict)
    memories: tuple[str, ...] = ()
    recent_outcomes: tuple[str, ...] = ()  # latest outcomes at this scene, newest first

    @property
    def returning(self) -> bool:
        return self.attempts > 0

    def block(self) -> str:
        """A compact text for prompts and the inspector."""
        if not self.returning and not self.memories:
            return "First meeting: the character has never met this player."
        parts = [f"Past attempts at this scene: {self.attempts}, successes: {self.successes}."]
        if self.last_outcome:
            ending = f" ({self.last_ending})." if self.last_ending else "."
            parts.append(f"Last time: {self.last_outcome}" + ending)
        parts.append(f"Trust {self.trust:.0f}/100, familiarity {self.familiarity:.0f}/100.")
        if self.personality:
            traits = sorted(self.personality.items())
            parts.append("Personality: " + ", ".join(f"{k} {v:.0f}" for k, v in traits) + ".")
        if self.memories:
            parts.append("Remembers: " + " ".join(f"- {m}" for m in self.memories))
        return " ".join(parts)
