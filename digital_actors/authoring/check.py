"""``digital-actors check``: lint a scene and prove its endings reachable.

Beyond loading (which already reports every schema, expression and reference problem),
it proves no ending holds at the start and explores the scene with bounded random walks
over controls, signals, interruptions and time, recording for each ending the shortest
action sequence found and the least scene time each ending was reached in. It warns about
unused state, dead controls, missing lines (a phase without steering lines among them: offline,
words nothing answers there get "say again"), and a success reachable in under a third of the
scene's advertised ``minutes`` (the scene is shorter than it says for a player who knows the way).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from digital_actors.errors import SceneError
from digital_actors.scene.model import Scene
from digital_actors.world import World

WAITS = (1.0, 5.0, 15.0)
# Walks to make at least (budget allowing) once every ending is reached, so the least time to a
# success is measured over enough temperaments to mean something (~2 ms a walk).
SPEED_WALKS = 300
# A success the explorer reaches in less than this share of `minutes` warns: a player who knows
# the way would be done long before the length the picker promises.
FASTEST_SHARE = 1 / 3


@dataclass(frozen=True, slots=True)
class Finding:
    level: Literal["error", "warning"]
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}" if self.where else f"{self.level}: {self.message}"


@dataclass
class CheckReport:
    """Everything ``check`` found about one scene (or one file that failed to load)."""

    label: str
    scene: Scene | None = None
    findings: list[Finding] = field(default_factory=list)
    witnesses: dict[str, list[str]] = field(default_factory=dict)
    fastest: dict[str, float] = field(default_factory=dict)  # ending -> least scene seconds to reach it
    counts: dict[str, int] = field(default_factory=dict)
    walks: int = 0

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def add(self, level: Literal["error", "warning"], where: str, message: str) -> None:
        self.findings.append(Finding(level, f"{self.label}: {where}", message))


def check_scene(scene: Scene, *, budget: float = 8.0, max_walks: int = 20000, seed: int = 0,
                min_walks: int = 0) -> CheckReport:
    """Lint ``scene`` and explore it for at most ``budget`` seconds of CPU time."""
    report = CheckReport(label=scene.file or scene.id, scene=scene)
    start = World(scene)
    first = start.settle()
    if first.ending is not None:
        report.add("error", f"endings.{first.ending.id}", "holds at the start: the scene would end at once")
        return report
    _lint(scene, report)
    _explore(scene, report, budget=budget, max_walks=max_walks, seed=seed, min_walks=min_walks)
    return report


def _lint(scene: Scene, report: CheckReport) -> None:
    used: set[str] = set()
    exprs = [p.enter_expr for p in scene.phases] + [e.when_expr for e in scene.endings]
    exprs += [c.when_expr for c in scene.controls] + [g.when_expr for g in scene.signals]
    exprs += [r.when_expr for r in scene.director.rules] + [r.when_expr for r in scene.script.replies]
    owners = [*scene.controls, *scene.signals, *scene.director.rules, scene.interruptions]
    exprs += [eff.expr for o in owners for eff in o.compiled_effects]
    for expr in exprs:
        if expr is not None:
            used |= expr.names
    written = {eff.var for o in owners for eff in o.compiled_effects}
    for name, var in scene.state.items():
        if var.show == "hidden" and name not in used:
            report.add("warning", f"state.{name}", "is hidden and never read: it does nothing")
        elif name not in used and name not in written and not var.rate:
            report.add("warning", f"state.{name}", "never changes and nothing reads it")
    script = scene.script
    for c in scene.controls:
        if c.id not in script.controls:
            report.add("warning", f"script.controls.{c.id}", "no lines: the understudy will not react to it")
    for p in scene.phases[1:]:
        if str(p.id) not in script.phases:
            report.add("warning", f"script.phases.{p.id}", "no lines: the understudy says nothing on entering it")
    for p in scene.phases:
        if str(p.id) not in script.steer:
            report.add("warning", f"script.steer.{p.id}",
                       "no steering lines: words nothing answers get a fallback ('say again') in this phase")
    for e in scene.endings:
        if e.id not in script.endings:
            report.add("warning", f"script.endings.{e.id}", "no final line for this ending")
    for r in scene.director.rules:
        if r.hint and r.id not in script.hints and not script.idle:
            report.add("warning", f"script.hints.{r.id}", "a hint rule with no hint or idle lines is silent offline")
    if not script.opening:
        report.add("warning", "script.opening", "no opening lines: the scene starts in silence offline")
    role = scene.player.role.rstrip()
    if role.endswith((".", "!", "?", ",", ";", ":")):
        report.add("warning", "player.role", f"ends with {role[-1]!r}: front ends show it as \"You are <role>.\"")


def _explore(scene: Scene, report: CheckReport, *, budget: float, max_walks: int, seed: int,
             min_walks: int = 0) -> None:
    rng = random.Random(seed)
    horizon = max(scene.minutes * 60 * 3, 120.0)
    wanted = {e.id for e in scene.endings}
    ever_available: set[str] = set()
    last_phase = scene.phases[-1].id
    early_success: dict[str, int] = {}
    deadline = time.process_time() + budget
    has_interrupt = bool(scene.interruptions.compiled_effects)
    walks = 0

    least_walks = max(min_walks, SPEED_WALKS if any(e.kind == "success" for e in scene.endings) else 0)

    def more() -> bool:
        return bool(wanted - set(report.witnesses)) or walks < least_walks

    while walks < max_walks and time.process_time() < deadline and more():
        walks += 1
        # Each walk gets its own temperament: how often it waits instead of acting, how
        # chatty it is (signals), and how often it repeats the same signal. Players are not
        # uniform random actors; without this, repeatable signals with big effects decide
        # most walks and endings that need restraint are never seen.
        wait_bias = rng.choice((0.05, 0.15, 0.3, 0.6))
        talk_bias = rng.choice((0.1, 0.35, 1.0))
        press_bias = rng.choice((0.1, 0.4, 1.0))
        repeat_cap = rng.choice((1, 2, 4, 12))
        said: dict[str, int] = {}
        world = World(scene)
        world.settle()
        path: list[str] = []
        while world.ending is None and world.elapsed <= horizon and len(path) < 400:
            views = world.controls()
            presses = [v.id for v in views if v.available]
            ever_available.update(presses)
            if rng.random() >= press_bias:
                presses = []
            sigs = []
            if rng.random() < talk_bias:
                sigs = [g.id for g in scene.signals if said.get(g.id, 0) < repeat_cap and world.signal_ready(g.id)]
            acts: list[str] = [f"press {c}" for c in presses] + [f"signal {s}" for s in sigs]
            if has_interrupt and rng.random() < 0.05:
                acts.append("interrupt")
            if not acts or rng.random() < wait_bias:
                seconds = rng.choice(WAITS)
                path.append(f"wait {seconds:g}")
                for _ in range(int(seconds)):
                    world.tick(1.0)
                    if world.ending is not None:
                        break
                continue
            act = rng.choice(acts)
            path.append(act)
            kind, _, arg = act.partition(" ")
            if kind == "press":
                world.press(arg)
            elif kind == "signal":
                said[arg] = said.get(arg, 0) + 1
                world.player_acted()
                world.settle(world.fire_signal(arg))
            else:
                world.interrupt()
        if world.ending is not None:
            eid = world.ending.id
            report.counts[eid] = report.counts.get(eid, 0) + 1
            if eid not in report.witnesses or len(path) < len(report.witnesses[eid]):
                report.witnesses[eid] = path
            if eid not in report.fastest or world.elapsed < report.fastest[eid]:
                report.fastest[eid] = world.elapsed
            if world.ending.kind == "success" and world.phase.id != last_phase:
                early_success[eid] = world.phase.id
    report.walks = walks
    for ending in scene.endings:
        if ending.id not in report.witnesses:
            report.add("error", f"endings.{ending.id}",
                       f"not reached in {walks} explored playthroughs: check its `when` ({ending.when})")
    for eid, phase in early_success.items():
        report.add("warning", f"endings.{eid}",
                   f"a success reached in phase {phase}, before the last phase ({last_phase})")
    _too_fast(scene, report)
    for c in scene.controls:
        if c.id not in ever_available:
            report.add("warning", f"controls.{c.id}", "never became available in any explored playthrough")


def _too_fast(scene: Scene, report: CheckReport) -> None:
    """Warn about each success the explorer reached in under a third of the scene's ``minutes``."""
    least = scene.minutes * 60 * FASTEST_SHARE
    for ending in scene.endings:
        seconds = report.fastest.get(ending.id)
        if ending.kind == "success" and seconds is not None and seconds < least:
            report.add("warning", f"endings.{ending.id}",
                       f"reached {seconds:.0f} s in, under a third of the scene's {scene.minutes:g} minutes "
                       f"({least:.0f} s): gate it on time (a phase's `enter`, a countdown, a beat that takes "
                       f"a while) or lower `minutes`")


def check_path(path: Path, **kwargs: float) -> list[CheckReport]:
    """Check a scene folder, a scene.toml, or every scene folder below a directory."""
    from digital_actors.scene.loader import SCENE_FILE, load_scene

    if path.is_dir() and not (path / SCENE_FILE).is_file():
        folders = sorted(p.parent for p in path.rglob(SCENE_FILE))
        if not folders:
            report = CheckReport(label=str(path))
            report.add("error", "(folder)", "no scene.toml found here")
            return [report]
    else:
        folders = [path]
    reports = []
    for folder in folders:
        try:
            scene = load_scene(folder)
        except SceneError as e:
            report = CheckReport(label=str(folder))
            for problem in e.problems or [e.message]:
                report.findings.append(Finding("error", "", problem))
            reports.append(report)
            continue
        reports.append(check_scene(scene, **kwargs))  # type: ignore[arg-type]
    return reports
