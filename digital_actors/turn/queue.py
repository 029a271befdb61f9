"""The line queue: which cue is performed next, by priority, and which go stale.

ending (30) > opening (25) > reaction to the player (20) > phase entry (15) > background:
director hints and idle nudges (10). Lines never overlap; one worker takes cues from here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from digital_actors.turn.ports import Cue, CueKind

ENDING, OPENING, PLAYER, STORY, BACKGROUND = 30, 25, 20, 15, 10
PRIORITY: dict[CueKind, int] = {"ending": ENDING, "opening": OPENING, "reply": PLAYER,
                                "control": PLAYER, "phase": STORY, "hint": BACKGROUND,
                                "nudge": BACKGROUND}


def priority(cue: Cue) -> int:
    return PRIORITY[cue.kind]


@dataclass(slots=True)
class _Queued:
    priority: int
    order: int
    cue: Cue


class LineQueue:
    """Cues waiting to be performed, highest priority first, then in arrival order."""

    def __init__(self) -> None:
        self._items: list[_Queued] = []
        self._order = itertools.count()
        self.ending_queued = False

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def kinds(self) -> list[CueKind]:
        """The queued cues' kinds, next first (tests, the inspector)."""
        return [q.cue.kind for q in self._items]

    def push(self, cue: Cue) -> bool:
        """Queue a cue; False when the rules drop it.

        Once an ending is queued nothing else is. At most one background line waits (it never
        talks over a line in progress). A new reaction to the player replaces an older one.
        """
        rank = priority(cue)
        if self.ending_queued and rank != ENDING:
            return False
        if rank == BACKGROUND and any(q.priority == BACKGROUND for q in self._items):
            return False
        if rank == ENDING:
            self.ending_queued = True
            self._items.clear()
        if rank == PLAYER:
            self._items = [q for q in self._items if q.priority != PLAYER]
        self._items.append(_Queued(rank, next(self._order), cue))
        self._items.sort(key=lambda q: (-q.priority, q.order))
        return True

    def pop(self) -> Cue:
        return self._items.pop(0).cue

    def drop_stale(self) -> None:
        """A new player action makes queued background lines and older reactions stale
        (story lines, phase entries, are kept)."""
        self._items = [q for q in self._items if q.priority not in (BACKGROUND, PLAYER)]
