"""Offline reply quality by kind of player: how often the understudy answers what a player says,
and how often it can only ask them to say it again.

Every built-in scene is played through the real engine path (``Engine`` with the understudy and
a ``FakeClock``, so runs are fast and exact) by three scripted players, whose lines live in
``benchmarks/personas/<scene>.toml``: **cooperative** (on-topic, follows the character's lead,
presses what it is asked to), **terse** ("ok", "what?", "why") and **off_topic** (small talk,
jokes, questions about anything else). ``--set heldout`` plays a second set of lines written at
the same time and never used to write scene lines, to show whether the scenes were fitted to the
first set.

For each player line the reply's source decides what it was:

- **answered**: an authored reply, a signal's line, an interruption line or an ending's line;
- **steered**: the phase's ``[script.steer]`` line (brings the player back to what matters now);
- **say again**: ``script.fallback``, the last resort, which mostly asks the player to repeat.

A cooperative line FITS when it was answered; a terse or off-topic line fits unless it got a
"say again" (an in-character answer or being steered back both fit). When a scene ends, it is
restarted and the player carries on, as the game-over screen offers.

    python benchmarks/offline_personas.py
    python benchmarks/offline_personas.py --set heldout
    python benchmarks/offline_personas.py --scene life_raft --verbose
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors import events as ev
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.logging import configure_logging
from digital_actors.turn.session import Session

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "scenes"
PERSONAS = ("cooperative", "terse", "off_topic")
KINDS = ("answered", "steered", "say_again", "silent")


@dataclass
class Tally:
    """What one player's lines got from one scene."""

    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    endings: list[str] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(self.kinds.values())

    def fits(self, persona: str) -> int:
        if persona == "cooperative":
            return self.kinds["answered"]
        return self.kinds["answered"] + self.kinds["steered"]

    def add(self, other: Tally) -> None:
        for kind, n in other.kinds.items():
            self.kinds[kind] += n
        self.endings += other.endings


def kind_of(source: str | None) -> str:
    """A reply's kind from its source (``understudy: script.fallback``...); None: no reply at all."""
    if source is None:
        return "silent"
    pool = source.removeprefix("understudy: ")
    if pool.startswith("script.fallback"):
        return "say_again"
    if pool.startswith("script.steer"):
        return "steered"
    return "answered"


Players = dict[str, dict[str, list[str]]]  # scene id -> persona -> steps


def load_players(folder: Path, only: list[str] | None) -> Players:
    """Every persona's steps for every scene with a file in ``folder`` (or only the scenes named)."""
    files = sorted(folder.glob("*.toml")) if not only else [folder / f"{scene_id}.toml" for scene_id in only]
    out: Players = {}
    for file in files:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        out[file.stem] = {persona: list(data[persona]["steps"]) for persona in PERSONAS}
    return out


async def advance(clock: FakeClock, session: Session, seconds: float) -> None:
    """Let scene time pass tick by tick, as a player reading and typing would."""
    for _ in range(int(seconds)):
        if session.ended:
            return
        await clock.advance(1.0)
        await session.settle()


async def play(engine: Engine, clock: FakeClock, scene_id: str, steps: list[str], *, seed: int,
               gap: float, verbose: bool) -> Tally:
    """One player's steps in one scene: each line's reply classified."""
    tally = Tally()
    session = await engine.new_session(SessionRequest(str(SCENES / scene_id), seed=seed, pace=0.0,
                                                      suggestions=False))
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    try:
        for step in steps:
            if session.ended:
                assert session.world.ending is not None
                tally.endings.append(session.world.ending.id)
                await session.restart()
                await session.settle()
                sub.drain()
            if step.startswith("/press "):
                await session.press(step.split(maxsplit=1)[1])
                await session.settle()
            elif step.startswith("/wait "):
                await advance(clock, session, float(step.split(maxsplit=1)[1]))
            else:
                await session.say(step)
                await session.settle()
                events = sub.drain()
                reply = next((e for e in events if isinstance(e, ev.LineStarted) and e.cue in ("reply", "ending")),
                             None)
                kind = kind_of(reply.source if reply is not None else None)
                tally.kinds[kind] += 1
                if verbose:
                    text = next((e.text for e in events if isinstance(e, ev.LineFinished)
                                 and reply is not None and e.line_id == reply.line_id), "")
                    print(f"    [{kind:>9}] phase {session.world.phase.id}  > {step}\n{'':16}< {text}"
                          f"  ({reply.source if reply else '-'})")
            sub.drain()
            await advance(clock, session, gap)
        if session.ended and session.world.ending is not None:
            tally.endings.append(session.world.ending.id)
    finally:
        await session.close()
    return tally


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def row(label: str, persona: str, t: Tally, *, endings: bool = True) -> str:
    k = t.kinds
    line = (f"{label:<20}{persona:<12}{t.lines:>6}{share(t.fits(persona), t.lines):>8}"
            f"{share(k['say_again'], t.lines):>11}{k['answered']:>10}{k['steered']:>9}{k['say_again']:>11}"
            f"{k['silent']:>8}")
    return f"{line}  {','.join(t.endings) or '-'}" if endings else line


async def main(args: argparse.Namespace, players: Players) -> None:
    clock = FakeClock()
    settings = Settings(_env_file=None, llm_provider="understudy", voice=False, director_llm=False)
    totals = {persona: Tally() for persona in PERSONAS}
    print(f"personas: benchmarks/personas{'/heldout' if args.set == 'heldout' else ''}  seed={args.seed}  "
          f"gap={args.gap:g} s\n")
    print(f"{'scene':<20}{'persona':<12}{'lines':>6}{'fit':>8}{'say again':>11}"
          f"{'answered':>10}{'steered':>9}{'say again':>11}{'silent':>8}  endings")
    async with Engine.open(settings, extra_scenes=(SCENES,), clock=clock) as engine:
        for scene_id, steps in players.items():
            for persona in PERSONAS:
                if verbose := args.verbose:
                    print(f"  {scene_id} / {persona}")
                tally = await play(engine, clock, scene_id, steps[persona], seed=args.seed, gap=args.gap,
                                   verbose=verbose)
                totals[persona].add(tally)
                print(row(scene_id, persona, tally))
    print()
    for persona in PERSONAS:
        print(row("TOTAL", persona, totals[persona], endings=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["personas", "heldout"], default="personas",
                        help="the persona lines to play: the main set or the held-out one")
    parser.add_argument("--scene", action="append", help="only this scene (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="the understudy's seed")
    parser.add_argument("--gap", type=float, default=5.0, help="seconds of scene time after each step")
    parser.add_argument("--verbose", action="store_true", help="print every line, its reply and its source")
    configure_logging(level="ERROR")
    arguments = parser.parse_args()
    folder = Path(__file__).resolve().parent / "personas" / ("heldout" if arguments.set == "heldout" else "")
    asyncio.run(main(arguments, load_players(folder, arguments.scene)))
