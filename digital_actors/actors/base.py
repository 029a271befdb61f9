"""The Actor port: given a cue, perform one line as a stream of text deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from digital_actors.memory.snapshot import PlayerMemory

CueKind = Literal["opening", "reply", "control", "phase", "ending", "hint", "nudge"]


@dataclass(frozen=True, slots=True)
class Cue:
    """What just happened and everything the actor may know when answering it."""

    kind: CueKind
    character_id: str
    player_text: str = ""
    control_id: str = ""
    phase_id: int | None = None
    ending_id: str = ""
    rule_id: str = ""
    beat: str = ""
    signals: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    interrupted: bool = False
    names: Mapping[str, float] = field(default_factory=dict)
    memory: PlayerMemory = field(default_factory=PlayerMemory)
    history: tuple[tuple[str, str], ...] = ()  # (who, text) so far: "player" or "actor"
    elapsed: float = 0.0


class Performance(Protocol):
    """One line being performed: raw text deltas (audio tags included) and where it came from."""

    source: str

    def __aiter__(self) -> AsyncIterator[str]: ...


class Actor(Protocol):
    """Performs lines. ``perform`` returns None when it has nothing to say for a cue."""

    name: str
    reason: str

    def perform(self, cue: Cue) -> Performance | None: ...

    def suggest(self, cue: Cue, line: str) -> list[str]: ...

    def reset(self) -> None: ...

    async def aclose(self) -> None: ...
