"""Turns a session's event stream into one attempt's record: stats, player lines, choices, outcome.

The composition root wires it, so it never needs the Session class::

    handle = await store.begin_attempt(player.id, scene.id, character.id)
    observer = MemoryObserver(store, handle, clock=clock)
    async for event in session.events():
        observer.feed(event)              # sync and cheap
        ...
    await observer.finish()               # after GameOver, or when the session closes (quit)

Definitions (docs/OPERATIONS.md): a rapid action comes < 2 s after the previous action; a
patient wait is an action >= 3 s after a line finished uninterrupted; an accepted press is
a feedback narration (the session narrates every accepted press), a refused one a refusal
narration; an interruption is a LineFinished cut off ``by_player`` (the session also cuts
lines off itself, before an ending or when a control replaces a background line).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Protocol

import structlog
from pydantic import TypeAdapter, ValidationError

from digital_actors.clock import Clock
from digital_actors.events import (
    ControlsChanged,
    Event,
    GameOver,
    LineFinished,
    LineStarted,
    Narration,
    PlayerSaid,
)
from digital_actors.memory import rules
from digital_actors.memory.records import AttemptHandle, MemoryNote
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.wording import count_harsh, count_kind

log = structlog.get_logger()

RAPID_WINDOW = 2.0  # an action this soon after the previous one is rapid
PATIENT_WAIT = 3.0  # waiting this long after a line finished, before acting, is patient
PLAYER = "player"


class AttemptRecorder(Protocol):
    """Where a finished attempt goes: a store (written now) or the outbox (written until it lands)."""

    async def finish_attempt(self, handle: AttemptHandle, outcome: str, ending_id: str | None,
                             stats: AttemptStats, memories: list[MemoryNote], *,
                             elapsed: float | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class AttemptState:
    """One attempt in progress as plain values: a session carried to another process goes on
    recording the same attempt (its ids, what was counted so far, its GameOver if it was seen)."""

    handle: AttemptHandle
    stats: AttemptStats
    player_lines: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    over: GameOver | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _ATTEMPT.dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: Any) -> AttemptState:
        """The inverse of ``to_dict``; raises ValueError for anything else."""
        try:
            return _ATTEMPT.validate_python(data)
        except ValidationError as e:
            raise ValueError(f"not an attempt in progress: {e.error_count()} problem(s)") from e


_ATTEMPT: TypeAdapter[AttemptState] = TypeAdapter(AttemptState)


class MemoryObserver:
    """Counts what the player does during one attempt and writes it when the attempt ends."""

    def __init__(self, store: AttemptRecorder, handle: AttemptHandle, *, clock: Clock,
                 character_id: str | None = None) -> None:
        self._store = store
        self._handle = handle
        self._clock = clock
        self.character_id = character_id or handle.character_id
        self.stats = AttemptStats()
        self.player_lines: list[str] = []
        self.choices: list[str] = []
        self.game_over: GameOver | None = None
        self._last_action: float | None = None
        self._line_done_at: float | None = None
        self._controls: dict[str, tuple[int | None, float, str]] = {}
        self._write: asyncio.Task[bool] | None = None
        self._finished = False

    def state(self) -> AttemptState:
        return AttemptState(self._handle, self.stats, tuple(self.player_lines), tuple(self.choices), self.game_over)

    def resume(self, state: AttemptState) -> None:
        """Go on counting from ``state``; an attempt whose GameOver was already seen is written now
        (again, perhaps: the write is idempotent, so it counts once)."""
        self.stats, self.player_lines, self.choices = state.stats, list(state.player_lines), list(state.choices)
        if state.over is not None:
            self.game_over = state.over
            self._schedule()

    def feed(self, event: Event) -> None:
        """Take one engine event into account. Never blocks, never raises for unknown events."""
        if self._finished or self.game_over is not None:
            return
        if isinstance(event, PlayerSaid):
            self._action()
            self.player_lines.append(event.text)
            self._bump(lines_said=1, kind_words=count_kind(event.text),
                       harsh_words=count_harsh(event.text))
        elif isinstance(event, Narration) and event.kind in ("feedback", "refusal"):
            self._action()
            accepted = event.kind == "feedback"
            self._bump(controls_pressed=1, correct_actions=int(accepted),
                       incorrect_actions=int(not accepted))
            if accepted and event.control_id:
                self._choose(self._controls.get(event.control_id, (None, 0.0, event.control_id))[2])
        elif isinstance(event, ControlsChanged):
            self._diff_controls(event)
        elif isinstance(event, LineStarted) and event.speaker != PLAYER:
            self._line_done_at = None
        elif isinstance(event, LineFinished) and event.speaker != PLAYER:
            self._line_done_at = None if event.interrupted else self._clock.now()
            if event.interrupted and event.by_player:
                self._bump(interruptions=1)
        elif isinstance(event, GameOver):
            self.game_over = event
            self._reconcile_presses(event)
            self._schedule()

    def _reconcile_presses(self, over: GameOver) -> None:
        """GameOver's ``uses.<control>`` counts every accepted press, with or without feedback text."""
        uses = {k.removeprefix("uses."): int(v) for k, v in over.stats.items()
                if k.startswith("uses.") and v > 0}
        missing = sum(uses.values()) - self.stats.correct_actions
        if missing > 0:
            self._bump(correct_actions=missing, controls_pressed=missing)
        for control_id in uses:
            label = self._controls.get(control_id, (None, 0.0, control_id))[2]
            if label not in self.choices:
                self.choices.append(label)

    def _choose(self, label: str) -> None:
        if not self.choices or self.choices[-1] != label:
            self.choices.append(label)

    def _action(self) -> None:
        now = self._clock.now()
        rapid = self._last_action is not None and now - self._last_action < RAPID_WINDOW
        patient = self._line_done_at is not None and now - self._line_done_at >= PATIENT_WAIT
        self._bump(rapid_actions=int(rapid), patient_waits=int(patient and not rapid))
        self._last_action = now
        self._line_done_at = None

    def _bump(self, **counts: int) -> None:
        self.stats = replace(self.stats, **{k: getattr(self.stats, k) + v for k, v in counts.items()})

    def _diff_controls(self, event: ControlsChanged) -> None:
        """A control whose uses went down or whose cooldown just started was the one pressed."""
        for view in event.controls:
            before = self._controls.get(view.id)
            if before is not None:
                used = view.uses_left is not None and before[0] is not None and view.uses_left < before[0]
                cooled = view.cooldown_left > 0 and before[1] <= 0
                if used or cooled:
                    self._choose(view.label)
            self._controls[view.id] = (view.uses_left, view.cooldown_left, view.label)

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop here: finish() writes it
        self._write = loop.create_task(self._commit(None))
        self._write.add_done_callback(_report_failure)

    async def finish(self) -> bool:
        """Write the attempt: its GameOver outcome, or ``quit`` when the session closed without one."""
        return await self.close(outcome="quit")

    async def close(self, outcome: str = "quit") -> bool:
        """Write the attempt once (``outcome`` applies only without a GameOver); later calls
        return the first write's result. True when the attempt was recorded."""
        if self._write is None:
            self._write = asyncio.ensure_future(self._commit(outcome))
        return await self._write

    async def _commit(self, fallback: str | None) -> bool:
        self._finished = True
        over = self.game_over
        outcome = over.kind if over is not None else (fallback or "quit")
        notes = rules.notable_memories(
            outcome=outcome, ending_id=over.ending_id if over else None,
            ending_title=over.title if over else None, stats=self.stats,
            player_lines=self.player_lines, choices=self.choices)
        written = await self._store.finish_attempt(
            self._handle, outcome, over.ending_id if over else None, self.stats, notes,
            elapsed=over.elapsed if over else None)
        log.info("memory_attempt_recorded", outcome=outcome, scene=self._handle.scene_id,
                 written=written, notes=len(notes))
        return written


def _report_failure(task: asyncio.Task[bool]) -> None:
    """Log a failed background write at once, even if nobody awaits ``finish`` (data loss is loud)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("memory_attempt_write_failed", error=str(task.exception()))
