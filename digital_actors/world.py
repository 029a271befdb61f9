"""The scene's rules as a pure, synchronous state machine: no I/O, no time, no randomness.

The session drives it (ticks, presses, signals) and turns its outcomes into events;
``digital-actors check`` copies it to explore every ending. Every write is clamped.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import structlog

from digital_actors.errors import ExpressionError
from digital_actors.events import ControlView, GaugeView
from digital_actors.memory.snapshot import PlayerMemory
from digital_actors.scene.expr import Expr
from digital_actors.scene.model import Control, DirectorRule, Effect, Ending, Phase, Scene

log = structlog.get_logger()
MAX_CASCADE = 8  # director effects may enter phases which enable rules...; bounded


@dataclass
class Outcome:
    """What one change did: values changed, phases entered, rules fired, an ending reached."""

    changed: dict[str, float] = field(default_factory=dict)
    phases: list[Phase] = field(default_factory=list)
    rules: list[DirectorRule] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    ending: Ending | None = None

    def merge(self, other: Outcome) -> Outcome:
        self.changed.update(other.changed)
        self.phases += other.phases
        self.rules += other.rules
        self.signals += other.signals
        self.ending = self.ending or other.ending
        return self


class World:
    """One playthrough's state. Cheap to copy for exploration."""

    def __init__(self, scene: Scene, *, memory: PlayerMemory | None = None,
                 difficulty: str = "normal", overrides: dict[str, float] | None = None,
                 start_phase: int | None = None) -> None:
        self.scene = scene
        self.memory = memory or PlayerMemory()
        level = scene.difficulty.get(difficulty)  # type: ignore[call-overload]
        self.difficulty = difficulty
        self.rate_scale = level.rates if level else 1.0
        self.values: dict[str, float] = {}
        for name, var in scene.state.items():
            bonus = level.start.get(name, 0.0) if level else 0.0
            self.values[name] = self._clamp(name, var.start + bonus)
        for name, value in (overrides or {}).items():
            self.values[name] = self._clamp(name, value)
        self.elapsed = 0.0
        self.idle = 0.0
        self.phase_index = 0
        if start_phase is not None:
            self.phase_index = next(i for i, p in enumerate(scene.phases) if p.id == start_phase)
        self.pressed: dict[str, int] = {c.id: 0 for c in scene.controls}
        self.last_press: dict[str, float] = {}
        self.fired: dict[str, int] = {g.id: 0 for g in scene.signals}
        self.rule_last: dict[str, float] = {}
        self.ending: Ending | None = None

    # --- reading ---------------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        return self.scene.phases[self.phase_index]

    def names(self) -> dict[str, float]:
        names = dict(self.values)
        names.update(elapsed=self.elapsed, idle=self.idle, phase=float(self.phase.id))
        names.update({f"uses.{k}": float(v) for k, v in self.pressed.items()})
        names.update({f"signals.{k}": float(1 if v else 0) for k, v in self.fired.items()})
        m = self.memory
        names.update({"memory.attempts": float(m.attempts), "memory.successes": float(m.successes),
                      "memory.returning": float(m.returning), "memory.trust": m.trust,
                      "memory.familiarity": m.familiarity})
        return names

    def holds(self, expr: Expr | None, names: dict[str, float] | None = None) -> bool:
        """Whether a condition holds; a runtime fault (say, division by zero) counts as false."""
        if expr is None:
            return True
        try:
            return expr.holds(names if names is not None else self.names())
        except ExpressionError as e:
            log.warning("expression_failed", scene=self.scene.id, error=e.message)
            return False

    def gauges(self) -> tuple[GaugeView, ...]:
        out = []
        for name, var in self.scene.state.items():
            if var.show == "hidden":
                continue
            out.append(GaugeView(name, var.label or name.replace("_", " ").title(), self.values[name],
                                 var.min, var.max, var.unit, var.show, var.danger, var.danger_below))
        return tuple(out)

    def hidden(self) -> dict[str, float]:
        return {n: self.values[n] for n, v in self.scene.state.items() if v.show == "hidden"}

    def control_view(self, control: Control) -> ControlView:
        left = None if control.uses is None else control.uses - self.pressed[control.id]
        cooldown = 0.0
        if control.id in self.last_press and control.cooldown:
            cooldown = max(0.0, control.cooldown - (self.elapsed - self.last_press[control.id]))
        reason = None
        if self.ending is not None:
            reason = "the scene is over"
        elif not self.holds(control.when_expr):
            reason = control.unavailable or "not available yet"
        elif left is not None and left <= 0:
            reason = "no uses left"
        elif cooldown > 0:
            reason = f"cooling down ({math.ceil(cooldown)} s)"
        return ControlView(control.id, control.label, control.key, reason is None, reason, left, cooldown)

    def controls(self) -> tuple[ControlView, ...]:
        return tuple(self.control_view(c) for c in self.scene.controls)

    # --- writing -----------------------------------------------------------------------
    def _clamp(self, name: str, value: float) -> float:
        var = self.scene.state[name]
        if math.isnan(value):
            value = var.start
        return min(var.max, max(var.min, value))

    def set_value(self, name: str, value: float, out: Outcome) -> None:
        """Write one variable, clamped to its min/max; records a real change in ``out``."""
        new = self._clamp(name, value)
        if new != self.values[name]:
            self.values[name] = new
            out.changed[name] = new

    def apply(self, effects: list[Effect], out: Outcome | None = None) -> Outcome:
        """Apply effects in order; each sees the values written by the ones before it."""
        out = out or Outcome()
        if self.ending is not None:
            return out
        for effect in effects:
            try:
                amount = effect.expr.eval(self.names())
            except ExpressionError as e:
                log.warning("effect_failed", scene=self.scene.id, var=effect.var, error=e.message)
                continue
            current = self.values[effect.var]
            target = {"add": current + amount, "sub": current - amount, "set": amount}[effect.op]
            self.set_value(effect.var, target, out)
        return out

    def tick(self, seconds: float = 1.0) -> Outcome:
        """Let ``seconds`` of scene time pass: rates apply, then phases, endings and rules."""
        out = Outcome()
        if self.ending is not None:
            return out
        self.elapsed += seconds
        self.idle += seconds
        for name, var in self.scene.state.items():
            if var.rate:
                self.set_value(name, self.values[name] + var.rate * self.rate_scale * seconds, out)
        return self.settle(out)

    def press(self, control_id: str) -> tuple[ControlView, Outcome]:
        """Press a control if available. Returns its view before the press and the outcome."""
        control = self.scene.control(control_id)
        if control is None:
            raise KeyError(control_id)
        view = self.control_view(control)
        out = Outcome()
        self.idle = 0.0
        if not view.available:
            return view, out
        self.pressed[control_id] += 1
        self.last_press[control_id] = self.elapsed
        self.apply(control.compiled_effects, out)
        return view, self.settle(out)

    def signal_ready(self, signal_id: str) -> bool:
        signal = next(g for g in self.scene.signals if g.id == signal_id)
        if self.ending is not None or (signal.once and self.fired[signal_id]):
            return False
        return self.holds(signal.when_expr)

    def fire_signal(self, signal_id: str, out: Outcome | None = None) -> Outcome:
        """A signal answered yes: latch it and apply its effects (once-only signals fire once)."""
        out = out or Outcome()
        if not self.signal_ready(signal_id):
            return out
        signal = next(g for g in self.scene.signals if g.id == signal_id)
        self.fired[signal_id] += 1
        out.signals.append(signal_id)
        return self.apply(signal.compiled_effects, out)

    def player_acted(self) -> None:
        self.idle = 0.0

    def interrupt(self) -> Outcome:
        out = self.apply(self.scene.interruptions.compiled_effects)
        return self.settle(out)

    def settle(self, out: Outcome | None = None) -> Outcome:
        """After any change: enter phases, check endings (file order, once), run director rules."""
        out = out or Outcome()
        for _ in range(MAX_CASCADE):
            if self.ending is not None:
                break
            self._advance_phases(out)
            self._check_endings(out)
            if self.ending is not None or not self._run_rules(out):
                break
        return out

    def _advance_phases(self, out: Outcome) -> None:
        phases = self.scene.phases
        while self.phase_index + 1 < len(phases):
            nxt = phases[self.phase_index + 1]
            if nxt.enter_expr is None or not self.holds(nxt.enter_expr):
                break
            self.phase_index += 1
            out.phases.append(nxt)

    def _check_endings(self, out: Outcome) -> None:
        names = self.names()
        for ending in self.scene.endings:
            if self.holds(ending.when_expr, names):
                self.ending = ending
                out.ending = ending
                return

    def _run_rules(self, out: Outcome) -> bool:
        """Fire due rules; True when a rule changed values (so phases/endings need another look)."""
        changed = False
        names = self.names()
        for rule in self.scene.director.rules:
            last = self.rule_last.get(rule.id)
            if last is not None and (rule.once or self.elapsed - last < rule.cooldown):
                continue
            if not self.holds(rule.when_expr, names):
                continue
            self.rule_last[rule.id] = self.elapsed
            out.rules.append(rule)
            if rule.compiled_effects:
                before = dict(out.changed)
                self.apply(rule.compiled_effects, out)
                changed = changed or out.changed != before
        return changed

    def copy(self) -> World:
        """An independent copy sharing the (read-only) scene."""
        clone = copy.copy(self)
        for attr in ("values", "pressed", "last_press", "fired", "rule_last"):
            setattr(clone, attr, dict(getattr(self, attr)))
        return clone
