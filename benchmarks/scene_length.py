"""How long a built-in scene lasts for a cooperative player who plays it naturally, and which
ending that player reaches, against the length the scene advertises (``minutes``).

Every scene is played through the real engine path (``Engine`` with the understudy and a
``FakeClock``) by the cooperative player of ``benchmarks/personas/<scene>.toml`` at a human
pace: after each action the player reads what the character said (the understudy's reading
pace, 0.045 s a word, as in real play) and thinks before answering (a seeded 4.5-10 s), so a
turn takes about 5-12 s of scene time. Each turn the player does ONE thing:

1. the first rule of the file's ``[natural].do`` list that holds: what the character has asked
   for by now, written as a condition on the scene's names (``press = "trim", when = "phase >= 3"``;
   a press only while the control is available; each rule once unless ``once = false``);
2. otherwise talks: now and then (one turn in four) one of the three suggestions on screen that it
   has not said yet (nor listed in ``[natural].avoid``: lines that would contradict its own
   story), else its own next line (``[natural].talk``, or the spoken lines of
   ``[cooperative].steps``); with nothing new to say, it listens for a turn.

A scene is on length when the median playthrough is within 30% of ``minutes``. ``repeats`` counts,
over all playthroughs, the authored lines the character said more than once in one playthrough.

    python benchmarks/scene_length.py
    python benchmarks/scene_length.py --seeds 20 --scene life_raft --verbose
    python benchmarks/scene_length.py --scenes ../other-checkout/scenes   # the same players, other scenes
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors import events as ev
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import READING_PACE, Engine, SessionRequest
from digital_actors.logging import configure_logging
from digital_actors.scene.expr import Expr, compile_expr
from digital_actors.turn.session import Session

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "scenes"
PERSONAS = Path(__file__).resolve().parent / "personas"
THINK = (4.5, 10.0)      # seconds a player thinks before answering, on top of reading
SUGGESTION_SHARE = 0.25  # how often the player takes a fresh suggestion over its own next line
TOLERANCE = 0.30         # on length: the median within 30% of `minutes`


@dataclass
class Rule:
    """One thing the player does once the character has asked for it."""

    when: Expr
    press: str = ""
    say: str = ""
    once: bool = True
    done: bool = False


@dataclass
class Plan:
    talk: list[str]
    rules: list[Rule]
    avoid: set[str]  # suggestions this player would never send (they contradict its own story)


@dataclass
class Run:
    seed: int
    seconds: float
    ending: str  # "-" when no ending came within the cap
    kind: str
    turns: int
    repeats: list[str] = field(default_factory=list)  # authored lines the character said again
    log: list[str] = field(default_factory=list)


def load_plan(scene_id: str, known: list[str]) -> Plan:
    """The cooperative player of ``benchmarks/personas/<scene>.toml``: its lines and its rules."""
    data = tomllib.loads((PERSONAS / f"{scene_id}.toml").read_text(encoding="utf-8"))
    natural: dict[str, Any] = data.get("natural", {})
    talk = list(natural.get("talk") or [s for s in data["cooperative"]["steps"] if not s.startswith("/")])
    rules = [Rule(when=compile_expr(r["when"], known), press=r.get("press", ""), say=r.get("say", ""),
                  once=r.get("once", True)) for r in natural.get("do", [])]
    return Plan(talk, rules, set(natural.get("avoid", [])))


class Player:
    """Chooses the cooperative player's next action from what it can see and has been asked."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan, self.rng = plan, rng
        self.talk = list(plan.talk)
        self.said: set[str] = set()

    def act(self, session: Session, offered: tuple[str, ...]) -> tuple[str, str] | None:
        names = session.world.names()
        available = {c.id for c in session.world.controls() if c.available}
        for rule in self.plan.rules:
            if rule.done or not rule.when.holds(names) or (rule.press and rule.press not in available):
                continue
            rule.done = rule.once
            return ("press", rule.press) if rule.press else ("say", rule.say)
        self.talk = [line for line in self.talk if line not in self.said]
        fresh = [s for s in offered if s not in self.said and s not in self.plan.avoid]
        if fresh and (not self.talk or self.rng.random() < SUGGESTION_SHARE):
            line = self.rng.choice(fresh)
        elif self.talk:
            line = self.talk.pop(0)
        else:
            return None  # nothing new to say: it watches the gauges and listens this turn
        self.said.add(line)
        return ("say", line)


async def play(engine: Engine, clock: FakeClock, folder: Path, seed: int, *, cap: float) -> Run:
    scene_id = folder.name
    session = await engine.new_session(SessionRequest(str(folder), seed=seed, pace=0.0, suggestions=True))
    known = list(session.world.names())
    rng = random.Random(f"{seed}:{scene_id}")
    player = Player(load_plan(scene_id, known), rng)
    sub = session.events()
    offered: tuple[str, ...] = ()
    log: list[str] = []
    turns, carry = 0, 0.0
    spoken: Counter[str] = Counter()

    def read() -> float:
        """Take in what happened since the last action; the seconds it takes to read the lines."""
        nonlocal offered
        words = 0
        for e in sub.drain():
            if isinstance(e, ev.LineFinished) and not e.by_player:
                words += len(e.text.split())
                spoken[e.text] += 1
                log.append(f"{session.world.elapsed:6.0f}  < {e.text}")
            elif isinstance(e, ev.Suggestions):
                offered = e.items
            elif isinstance(e, ev.Narration) and e.kind in ("director", "refusal"):
                log.append(f"{session.world.elapsed:6.0f}  * {e.text}")
        return words * READING_PACE

    await session.start()
    await session.settle()
    try:
        while not session.ended and session.world.elapsed < cap:
            # Read, think, then act: scene time runs all the while, a tick at a time.
            carry += read() + rng.uniform(*THINK)
            while carry >= 1.0 and not session.ended:
                carry -= 1.0
                await clock.advance(1.0)
                await session.settle()
            if session.ended:
                break
            read()
            action = player.act(session, offered)
            if action is None:
                continue
            turns += 1
            kind, arg = action
            log.append(f"{session.world.elapsed:6.0f}  > {'/press ' if kind == 'press' else ''}{arg}")
            if kind == "press":
                await session.press(arg)
            else:
                await session.say(arg)
            await session.settle()
        read()
        hidden = ", ".join(f"{k}={v:g}" for k, v in session.world.hidden().items())
        log.append(f"{session.world.elapsed:6.0f}  = {hidden}")
        ending = session.world.ending
        repeats = [text for text, n in spoken.items() if n > 1]
        return Run(seed, session.world.elapsed, ending.id if ending else "-", ending.kind if ending else "-",
                   turns, repeats, log)
    finally:
        await session.close()


async def main(args: argparse.Namespace, scenes: Path, scene_ids: list[str]) -> None:
    clock = FakeClock()
    settings = Settings(_env_file=None, llm_provider="understudy", voice=False, director_llm=False)
    print(f"cooperative natural player, {args.seeds} seeds, think {THINK[0]:g}-{THINK[1]:g} s + reading "
          f"{READING_PACE} s/word; on length = median within {TOLERANCE:.0%} of minutes\n")
    print(f"{'scene':<20}{'minutes':>8}{'target s':>12}{'median':>8}{'min':>6}{'max':>6}{'repeats':>9}"
          f"  {'on length':<10}endings reached")
    async with Engine.open(settings, extra_scenes=(scenes,), clock=clock) as engine:
        for scene_id in scene_ids:
            scene = engine.load(str(scenes / scene_id))
            target = scene.minutes * 60
            runs = [await play(engine, clock, scenes / scene_id, seed, cap=3 * target) for seed in range(args.seeds)]
            secs = [r.seconds for r in runs]
            median = statistics.median(secs)
            low, high = target * (1 - TOLERANCE), target * (1 + TOLERANCE)
            endings = Counter(f"{r.ending}" for r in runs)
            shown = ", ".join(f"{e} {n}" for e, n in endings.most_common())
            ok = "yes" if low <= median <= high else ("SHORT" if median < low else "LONG")
            repeats = sum(len(r.repeats) for r in runs)
            print(f"{scene_id:<20}{scene.minutes:>8g}{f'{low:.0f}-{high:.0f}':>12}{median:>8.0f}{min(secs):>6.0f}"
                  f"{max(secs):>6.0f}{repeats:>9}  {ok:<10}{shown}")
            if args.verbose:
                for r in runs:
                    print(f"    seed {r.seed}: {r.seconds:.0f} s, {r.turns} turns, {r.ending} ({r.kind})")
                    for text in r.repeats:
                        print(f"      said again: {text}")
                    if args.verbose > 1:
                        print("\n".join(f"      {line}" for line in r.log))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", action="append", help="only this scene (repeatable)")
    parser.add_argument("--scenes", default=str(SCENES),
                        help="the folder of scenes to play (default: the built-in ones)")
    parser.add_argument("--seeds", type=int, default=10, help="playthroughs per scene (seeds 0..N-1)")
    parser.add_argument("--verbose", "-v", action="count", default=0,
                        help="-v: every playthrough; -vv: and every line, press and narration")
    configure_logging(level="ERROR")
    arguments = parser.parse_args()
    ids = arguments.scene or sorted(p.stem for p in PERSONAS.glob("*.toml"))
    asyncio.run(main(arguments, Path(arguments.scenes).resolve(), ids))
