"""What the front end may be given from outside the engine: memory views and player preferences.

The composition root (``digital-actors``) connects these to the memory store; without them the
screens say that memory is not available rather than showing made-up data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

BestResults = Callable[[], Awaitable[dict[str, str]]]
"""Returns ``{scene_id: "best result so far"}`` (for example "Surfaced together · 3 tries")."""


@runtime_checkable
class ProfileProvider(Protocol):
    """What the characters remember about this player, and a way to make them forget."""

    async def memories(self) -> list[tuple[str, str, str]]:
        """Every remembered note as ``(memory_id, character, text)``."""
        ...

    async def forget(self, memory_id: str | None) -> None:
        """Forget one note, or everything when ``memory_id`` is None."""
        ...


@dataclass(frozen=True, slots=True)
class Player:
    """Who is playing, once known: the memory profile sessions are recorded for (None: memory off),
    the name they gave (None: never spoken), and their memory views."""

    player_id: str | None = None
    name: str | None = None
    profile: ProfileProvider | None = None
    best_results: BestResults | None = None


AskName = Callable[[str | None], Awaitable[Player]]
"""The first run: turns the name typed on the welcome screen (None: skipped) into the Player."""


@dataclass(slots=True)
class Preferences:
    """Choices the player makes in the settings screen; they apply from the next line or scene."""

    voice: bool = True
    volume: float = 0.8
    suggestions: bool = True
    dark: bool = True

    def volume_text(self) -> str:
        return f"{round(self.volume * 100):d}%"
