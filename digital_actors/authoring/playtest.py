"""``.play`` playthrough files: scripted, exact runs of a scene with the understudy and a fake clock.

    seed 3                 # optional header: understudy seed
    difficulty easy        # optional header
    say I'm here. You can do this.
    press o2_valve
    wait 80
    expect phase == 2
    expect line son        # the actor's latest line contains this (case-insensitive)
    expect refused         # the latest press was refused
    expect ending surfaced_together
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.errors import ExpressionError, SceneError
from digital_actors.scene.expr import compile_expr
from digital_actors.scene.loader import MEMORY_NAMES, SCENE_FILE, load_scene
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session, SessionOptions

COMMANDS = ("say", "press", "wait", "expect", "seed", "difficulty")


@dataclass(frozen=True, slots=True)
class Step:
    line: int
    command: str
    arg: str


@dataclass
class PlayResult:
    file: Path
    scene_id: str
    steps: int = 0
    failures: list[str] = field(default_factory=list)
    ending: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def parse_play(file: Path) -> tuple[list[Step], list[str]]:
    """Steps of a .play file and the syntax problems found (``file:line: message``)."""
    steps: list[Step] = []
    problems: list[str] = []
    for number, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        command, _, arg = text.partition(" ")
        command, arg = command.lower(), arg.strip()
        if command not in COMMANDS:
            problems.append(f"{file}:{number}: unknown command '{command}' (expected one of: {', '.join(COMMANDS)})")
            continue
        if not arg:
            problems.append(f"{file}:{number}: '{command}' needs an argument")
            continue
        if command in ("wait", "seed"):
            try:
                value = float(arg)
                if value < 0 or math.isinf(value) or (command == "wait" and value > 3600):
                    raise ValueError
            except ValueError:
                problems.append(f"{file}:{number}: '{command}' takes a number of seconds (0 to 3600)")
                continue
        steps.append(Step(number, command, arg))
    return steps, problems


class _Runner:
    def __init__(self, scene: Scene, file: Path, steps: list[Step]) -> None:
        self.scene, self.file, self.steps = scene, file, steps
        self.result = PlayResult(file, scene.id)
        seed = next((int(float(s.arg)) for s in steps if s.command == "seed"), 0)
        difficulty = next((s.arg for s in steps if s.command == "difficulty"), None)
        self.clock = FakeClock()
        self.session = Session(scene, actor=Understudy(scene, seed=seed), clock=self.clock,
                               options=SessionOptions(seed=seed, difficulty=difficulty, suggestions=False))
        self.events = self.session.events()
        self.last_line = ""
        self.refused = False
        self.known = set(scene.state) | {"elapsed", "idle", "phase", *MEMORY_NAMES}
        self.known |= {f"uses.{c.id}" for c in scene.controls} | {f"signals.{g.id}" for g in scene.signals}

    def _absorb(self) -> None:
        for event in self.events.drain():
            if isinstance(event, ev.LineFinished):
                self.last_line = event.text
            elif isinstance(event, ev.Narration) and event.kind == "refusal":
                self.refused = True
            elif isinstance(event, ev.GameOver):
                self.result.ending = event.ending_id

    def _state(self) -> str:
        w = self.session.world
        values = " ".join(f"{k}={v:g}" for k, v in w.values.items())
        return (f"elapsed={w.elapsed:g} phase={w.phase.id} idle={w.idle:g} {values} "
                f"ending={w.ending.id if w.ending else 'none'}")

    def fail(self, step: Step, message: str) -> None:
        self.result.failures.append(f"{self.file}:{step.line}: {message}\n    state: {self._state()}")

    async def run(self) -> PlayResult:
        await self.session.start()
        await self.session.settle()
        self._absorb()
        try:
            for step in self.steps:
                self.result.steps += 1
                if not await self._step(step):
                    break
        finally:
            await self.session.close()
        return self.result

    async def _step(self, step: Step) -> bool:
        s = self.session
        if step.command in ("seed", "difficulty"):
            return True
        if step.command in ("say", "press") and s.ended:
            self.fail(step, f"the scene already ended ({s.world.ending.id if s.world.ending else '?'})")
            return False
        if step.command == "say":
            await s.say(step.arg)
        elif step.command == "press":
            if self.scene.control(step.arg) is None:
                known = ", ".join(c.id for c in self.scene.controls)
                self.fail(step, f"no control '{step.arg}' (known: {known})")
                return False
            self.refused = False
            await s.press(step.arg)
        elif step.command == "wait":
            remaining = float(step.arg)
            while remaining > 1e-9 and not s.ended:
                chunk = min(1.0, remaining)
                await self.clock.advance(chunk)
                await s.settle()
                remaining -= chunk
        else:
            await s.settle()
            self._absorb()
            return self._expect(step)
        await s.settle()
        self._absorb()
        return True

    def _expect(self, step: Step) -> bool:
        kind, _, rest = step.arg.partition(" ")
        rest = rest.strip()
        if kind == "ending":
            actual = self.session.world.ending
            if actual is None or actual.id != rest:
                self.fail(step, f"expected ending {rest}, got {actual.id if actual else 'no ending yet'}")
                return False
            return True
        if kind == "line":
            if rest.lower() not in self.last_line.lower():
                self.fail(step, f"expected the actor's last line to contain {rest!r}, it was {self.last_line!r}")
                return False
            return True
        if kind == "refused":
            if not self.refused:
                self.fail(step, "expected the last press to be refused, it was accepted")
                return False
            return True
        try:
            expr = compile_expr(step.arg, self.known)
            ok = expr.holds(self.session.world.names())
        except ExpressionError as e:
            self.fail(step, f"bad expectation: {e.message}")
            return False
        if not ok:
            self.fail(step, f"expected {step.arg}")
        return ok


async def run_play_file(file: Path, scene: Scene | None = None) -> PlayResult:
    """Run one .play file against its scene (the folder above ``tests/`` unless given)."""
    if scene is None:
        scene = load_scene(file.parent.parent)
    steps, problems = parse_play(file)
    if problems:
        result = PlayResult(file, scene.id)
        result.failures.extend(problems)
        return result
    return await _Runner(scene, file, steps).run()


def find_play_files(path: Path) -> list[Path]:
    """``.play`` files: the file itself, a scene's tests/, or every scene's tests/ below a folder.

    A ``.toml`` file is an understanding corpus, never a playthrough (``scene/corpus.py``).
    """
    if path.is_file():
        return [] if path.suffix == ".toml" else [path]
    if (path / SCENE_FILE).is_file():
        return sorted((path / "tests").glob("*.play"))
    if not path.exists():
        raise SceneError(f"{path}: no such file or folder")
    return sorted(p for p in path.rglob("*.play") if (p.parent.parent / SCENE_FILE).is_file())
