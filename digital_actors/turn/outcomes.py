"""What the world did, told: outcomes become events for the player and cues for the actor.

``Consequences`` belongs to one playthrough (rebuilt on restart). The session decides
*when* (after an input, a tick, a verdict); this module decides *what* is shown and cued.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from digital_actors import events as ev
from digital_actors.scene.model import Ending, Scene
from digital_actors.turn.ports import TokenCount
from digital_actors.world import Outcome, World

Emit = Callable[[ev.Event], None]
CueMaker = Callable[..., None]  # (kind, **fields): queue a cue for the actor


class Consequences:
    """Turns one world's outcomes into events and cues; remembers what controls looked like."""

    def __init__(self, scene: Scene, world: World, *, emit: Emit, cue: CueMaker,
                 notes: deque[str]) -> None:
        self.scene, self.world, self._emit, self._cue, self.notes = scene, world, emit, cue, notes
        self._controls = world.controls()

    def report(self, out: Outcome, *, force_state: bool = False, tick: bool = False) -> Ending | None:
        """Emit what ``out`` changed and cue its lines; returns a newly reached ending."""
        w = self.world
        if out.changed or force_state or tick:
            self._emit(ev.StateChanged(dict(out.changed), w.gauges(), w.elapsed, w.hidden(), self.time_left()))
        for phase in out.phases:
            self._emit(ev.PhaseChanged(phase.id, phase.title))
            self._cue("phase", phase_id=phase.id, beat=phase.beat)
        for rule in out.rules:
            self.direct(rule.id, note=rule.note, hint=rule.hint, narration=rule.narration, nudge=rule.nudge,
                        effects=bool(rule.compiled_effects), why=rule.when)
        self.controls()
        return out.ending

    def direct(self, rule_id: str, *, note: str = "", hint: str = "", narration: str = "",
               nudge: bool = False, effects: bool = False, why: str = "") -> None:
        """A director decision (a scene rule or the director model): notes, narration, cues."""
        reason = f"{why} (elapsed {self.world.elapsed:.0f}s, idle {self.world.idle:.0f}s)"
        if note:
            self.notes.append(note)
            self._emit(ev.DirectorNote(rule_id, "note", note, reason))
        if narration:
            self._emit(ev.Narration(narration, "director"))
            self._emit(ev.DirectorNote(rule_id, "event", narration, reason))
        if hint:
            self._emit(ev.DirectorNote(rule_id, "hint", hint, reason))
            self._cue("hint", rule_id=rule_id, beat=hint)
        if nudge:
            self._emit(ev.DirectorNote(rule_id, "nudge", "idle nudge", reason))
            self._cue("nudge", rule_id=rule_id)
        if effects and not (note or narration or hint or nudge):
            self._emit(ev.DirectorNote(rule_id, "effects", "state changed", reason))

    def controls(self, *, force: bool = False) -> None:
        view = self.world.controls()
        if force or view != self._controls:
            self._controls = view
            self._emit(ev.ControlsChanged(view))

    def time_left(self) -> float | None:
        for name, var in self.scene.state.items():
            if var.countdown:
                return self.world.values[name]
        return None


def game_over(world: World, history: list[tuple[str, str]], tokens: TokenCount | None, *,
              earlier_lines: int = 0) -> ev.GameOver | None:
    """The end-of-scene event with its stats, or None when no ending was reached. ``earlier_lines``:
    the character's lines no longer in ``history`` (a session resumed from a snapshot keeps a window)."""
    ending = world.ending
    if ending is None:
        return None
    stats: dict[str, float] = {"elapsed": world.elapsed, **{f"uses.{k}": float(v) for k, v in world.pressed.items()},
                               "lines": float(earlier_lines + sum(1 for who, _ in history if who == "actor"))}
    if tokens is not None:
        stats.update({"tokens.input": float(tokens.total_input), "tokens.output": float(tokens.output_tokens)})
    return ev.GameOver(ending.id, ending.kind, ending.title, ending.epilogue, world.elapsed, stats,
                       hint=ending.hint if ending.kind == "failure" else "")

