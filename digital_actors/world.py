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
from digital_actors.player import Recollection
from digital_actors.scene.expr import Expr
from digital_actors.scene.model import Control, DirectorRule, Effect, Ending, Phase, Scene, Signal

log = structlog.get_logger()
MAX_CASCADE = 8  # director effects may enter phases which enable rules...; bounded


@dataclass(frozen=True)
class Plan:
    """A scene's rules as plain tuples: built once per scene, read on every tick.

    (pydantic private attributes cost ~20 us a read; the explorer reads them millions of times.)
    """

    bounds: dict[str, tuple[float, float, float]]          # name -> (min, max, start)
    rates: tuple[tuple[str, float], ...]
    phases: tuple[tuple[Phase, Expr | None], ...]
    endings: tuple[tuple[Ending, Expr], ...]
    rules: tuple[tuple[DirectorRule, Expr, tuple[Effect, ...]], ...]
    controls: dict[str, tuple[Control, Expr | None, tuple[Effect, ...]]]
    signals: dict[str, tuple[Signal, Expr | None, tuple[Effect, ...]]]
    interruption: tuple[Effect, ...]
    background_gap: float = 0.0

    @classmethod
    def of(cls, scene: Scene) -> Plan:
        plan = scene._plan
        if isinstance(plan, Plan):
            return plan
        plan = cls(
            bounds={n: (v.min, v.max, v.start) for n, v in scene.state.items()},
            rates=tuple((n, v.rate) for n, v in scene.state.items() if v.rate),
            phases=tuple((p, p.enter_expr) for p in scene.phases),
            endings=tuple((e, e.when_expr) for e in scene.endings),
            rules=tuple((r, r.when_expr, tuple(r.compiled_effects)) for r in scene.director.rules),
            controls={c.id: (c, c.when_expr, tuple(c.compiled_effects)) for c in scene.controls},
            signals={g.id: (g, g.when_expr, tuple(g.compiled_effects)) for g in scene.signals},
            interruption=tuple(scene.interruptions.compiled_effects),
            background_gap=scene.director.background_gap,
        )
        scene._plan = plan
        return plan


@dataclass(frozen=True, slots=True)
class WorldState:
    """A World's playthrough as plain values (a snapshot carries it to another process)."""

    difficulty: str
    values: dict[str, float]
    phase: int  # the phase's id
    pressed: dict[str, int]
    last_press: dict[str, float]
    fired: dict[str, int]
    rule_last: dict[str, float]
    elapsed: float
    idle: float
    ending: str | None  # the ending's id once one is reached
    last_background: float | None = None  # when the last hint or nudge was given (scene time)


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

    def __init__(self, scene: Scene, *, recollection: Recollection | None = None,
                 difficulty: str = "normal", overrides: dict[str, float] | None = None,
                 start_phase: int | None = None) -> None:
        self.scene = scene
        self.plan = Plan.of(scene)
        self.recollection = recollection or Recollection()
        level = scene.difficulty.get(difficulty)  # type: ignore[call-overload]
        self.difficulty = difficulty
        self.rate_scale = level.rates if level else 1.0
        self.values: dict[str, float] = {}
        for name, var in scene.state.items():
            bonus = level.start.get(name, 0.0) if level else 0.0
            self.values[name] = self._clamp(name, var.start + bonus)
        for name, value in (overrides or {}).items():
            self.values[name] = self._clamp(name, value)
        self.phase_index = 0
        if start_phase is not None:
            self.phase_index = next(i for i, p in enumerate(scene.phases) if p.id == start_phase)
        self.pressed: dict[str, int] = {c.id: 0 for c in scene.controls}
        self.last_press: dict[str, float] = {}
        self.fired: dict[str, int] = {g.id: 0 for g in scene.signals}
        self.rule_last: dict[str, float] = {}
        self.last_background: float | None = None  # when the last hint or nudge was given (scene time)
        self.ending: Ending | None = None
        # Every name an expression can read, kept current on each write (read on every tick).
        m = self.recollection  # the scene file reads it as memory.*
        self._n: dict[str, float] = dict(self.values)
        self._n.update(elapsed=0.0, idle=0.0, phase=float(self.phase.id))
        self._n.update({f"uses.{k}": 0.0 for k in self.pressed})
        self._n.update({f"signals.{k}": 0.0 for k in self.fired})
        self._n.update({"memory.attempts": float(m.attempts), "memory.successes": float(m.successes),
                        "memory.returning": float(m.returning), "memory.trust": m.trust,
                        "memory.familiarity": m.familiarity})

    @property
    def elapsed(self) -> float:
        return self._n["elapsed"]

    @elapsed.setter
    def elapsed(self, value: float) -> None:
        self._n["elapsed"] = value

    @property
    def idle(self) -> float:
        return self._n["idle"]

    @idle.setter
    def idle(self, value: float) -> None:
        self._n["idle"] = value

    # --- reading ---------------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        return self.plan.phases[self.phase_index][0]

    def names(self) -> dict[str, float]:
        """A snapshot of every name expressions can read."""
        return dict(self._n)

    def holds(self, expr: Expr | None, names: dict[str, float] | None = None) -> bool:
        """Whether a condition holds; a runtime fault (say, division by zero) counts as false."""
        if expr is None:
            return True
        try:
            return expr.holds(names if names is not None else self._n)
        except ExpressionError as e:
            log.warning("expression_failed", scene=self.scene.id, error=e.message)
            return False

    def gauges(self) -> tuple[GaugeView, ...]:
        out = []
        for name, var in self.scene.state.items():
            if var.show == "hidden" or var.countdown:  # a countdown is shown once, as time left
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
        elif not self.holds(self.plan.controls[control.id][1]):
            reason = control.unavailable or "not available yet"
        elif left is not None and left <= 0:
            reason = "no uses left"
        elif cooldown > 0:
            reason = f"cooling down ({math.ceil(cooldown)} s)"
        return ControlView(control.id, control.label, control.key, reason is None, reason, left, cooldown)

    def controls(self) -> tuple[ControlView, ...]:
        return tuple(self.control_view(c) for c, _, _ in self.plan.controls.values())

    # --- writing -----------------------------------------------------------------------
    def _clamp(self, name: str, value: float) -> float:
        low, high, start = self.plan.bounds[name]
        if math.isnan(value):
            value = start
        return min(high, max(low, value))

    def set_value(self, name: str, value: float, out: Outcome) -> None:
        """Write one variable, clamped to its min/max; records a real change in ``out``."""
        new = self._clamp(name, value)
        if new != self.values[name]:
            self.values[name] = self._n[name] = new
            out.changed[name] = new

    def apply(self, effects: tuple[Effect, ...] | list[Effect], out: Outcome | None = None) -> Outcome:
        """Apply effects in order; each sees the values written by the ones before it."""
        out = out or Outcome()
        if self.ending is not None:
            return out
        for effect in effects:
            try:
                amount = effect.expr.eval(self._n)
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
        for name, rate in self.plan.rates:
            self.set_value(name, self.values[name] + rate * self.rate_scale * seconds, out)
        return self.settle(out)

    def press(self, control_id: str) -> tuple[ControlView, Outcome]:
        """Press a control if available. Returns its view before the press and the outcome."""
        control, _, effects = self.plan.controls[control_id]
        view = self.control_view(control)
        out = Outcome()
        self.idle = 0.0
        if not view.available:
            return view, out
        self.pressed[control_id] += 1
        self._n[f"uses.{control_id}"] = float(self.pressed[control_id])
        self.last_press[control_id] = self.elapsed
        self.apply(effects, out)
        return view, self.settle(out)

    def signal_ready(self, signal_id: str) -> bool:
        signal, when, _ = self.plan.signals[signal_id]
        if self.ending is not None or (signal.once and self.fired[signal_id]):
            return False
        return self.holds(when)

    def fire_signal(self, signal_id: str, out: Outcome | None = None) -> Outcome:
        """A signal answered yes: latch it and apply its effects (once-only signals fire once)."""
        out = out or Outcome()
        if not self.signal_ready(signal_id):
            return out
        self.fired[signal_id] += 1
        self._n[f"signals.{signal_id}"] = 1.0
        out.signals.append(signal_id)
        return self.apply(self.plan.signals[signal_id][2], out)

    def background_due(self) -> bool:
        """Whether a background line (a hint or a nudge) may be given now: ``director.background_gap``
        seconds after the last one, so hints from several rules never pile up on an idle player. Once
        the player has acted since that line, a rule may answer what they did at once."""
        last = self.last_background
        if last is None:
            return True
        since = self.elapsed - last
        return since >= self.plan.background_gap or self.idle < since

    def mark_background(self) -> None:
        self.last_background = self.elapsed

    def player_acted(self) -> None:
        self.idle = 0.0

    def interrupt(self) -> Outcome:
        out = self.apply(self.plan.interruption)
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
        phases = self.plan.phases
        while self.phase_index + 1 < len(phases):
            nxt, enter = phases[self.phase_index + 1]
            if enter is None or not self.holds(enter):
                break
            self.phase_index += 1
            self._n["phase"] = float(nxt.id)
            out.phases.append(nxt)

    def _check_endings(self, out: Outcome) -> None:
        names = self._n
        for ending, when in self.plan.endings:
            if self.holds(when, names):
                self.ending = ending
                out.ending = ending
                return

    def _run_rules(self, out: Outcome) -> bool:
        """Fire due rules; True when a rule changed values (so phases/endings need another look).

        Rules that only speak (a hint or a nudge; no effects, narration or note, which the story may
        depend on) are rate-limited together: at most one per ``director.background_gap`` seconds, the
        one whose last turn is longest ago (file order breaks ties); the others wait, unfired, so hints
        from several rules never pile up on an idle player. A gap of 0: every due rule, in file order."""
        changed = False
        names = self._n
        gap = self.plan.background_gap > 0
        speakers: list[tuple[DirectorRule, tuple[Effect, ...]]] = []
        due_to_speak = self.background_due()
        for rule, when, effects in self.plan.rules:
            last = self.rule_last.get(rule.id)
            if last is not None and (rule.once or self.elapsed - last < rule.cooldown):
                continue
            speaks = gap and bool(rule.hint or rule.nudge) and not (effects or rule.narration or rule.note)
            if (speaks and not due_to_speak) or not self.holds(when, names):
                continue
            if speaks:
                speakers.append((rule, effects))
                continue
            if rule.hint or rule.nudge:
                self.mark_background()
            changed = self._fire_rule(rule, effects, out) or changed
        if speakers:
            rule, effects = min(speakers, key=lambda s: self.rule_last.get(s[0].id, -math.inf))
            self.mark_background()
            changed = self._fire_rule(rule, effects, out) or changed
        return changed

    def _fire_rule(self, rule: DirectorRule, effects: tuple[Effect, ...], out: Outcome) -> bool:
        """Record a rule as fired and apply its effects; True when they changed a value."""
        self.rule_last[rule.id] = self.elapsed
        out.rules.append(rule)
        if not effects:
            return False
        before = dict(out.changed)
        self.apply(effects, out)
        return out.changed != before

    def state(self) -> WorldState:
        """This playthrough as plain values (copies: later play does not change it)."""
        return WorldState(self.difficulty, dict(self.values), self.phase.id, dict(self.pressed),
                          dict(self.last_press), dict(self.fired), dict(self.rule_last), self.elapsed, self.idle,
                          self.ending.id if self.ending is not None else None, self.last_background)

    def restore(self, state: WorldState) -> None:
        """Continue the playthrough ``state`` describes. Names the scene no longer has are ignored
        and new ones keep their start; values are clamped as on every write. Raises ValueError
        for a phase or an ending this scene does not have (a snapshot of another scene)."""
        phases = [p.id for p, _ in self.plan.phases]
        if state.phase not in phases:
            raise ValueError(f"{self.scene.id} has no phase {state.phase}")
        ending = None
        if state.ending is not None:
            ending = next((e for e, _ in self.plan.endings if e.id == state.ending), None)
            if ending is None:
                raise ValueError(f"{self.scene.id} has no ending {state.ending!r}")
        level = self.scene.difficulty.get(state.difficulty)  # type: ignore[call-overload]
        self.difficulty, self.rate_scale = state.difficulty, level.rates if level else 1.0
        for name, value in state.values.items():
            if name in self.values:
                self.values[name] = self._n[name] = self._clamp(name, float(value))
        for name, count in state.pressed.items():
            if name in self.pressed:
                self.pressed[name] = int(count)
                self._n[f"uses.{name}"] = float(count)
        for name, count in state.fired.items():
            if name in self.fired:
                self.fired[name] = int(count)
                self._n[f"signals.{name}"] = 1.0 if count else 0.0
        self.last_press = {k: float(v) for k, v in state.last_press.items() if k in self.pressed}
        self.rule_last = dict(state.rule_last)
        self.phase_index = phases.index(state.phase)
        self._n["phase"] = float(state.phase)
        self.elapsed, self.idle, self.ending = float(state.elapsed), float(state.idle), ending
        self.last_background = state.last_background

    def copy(self) -> World:
        """An independent copy sharing the (read-only) scene."""
        clone = copy.copy(self)
        for attr in ("values", "pressed", "last_press", "fired", "rule_last", "_n"):
            setattr(clone, attr, dict(getattr(self, attr)))
        return clone
