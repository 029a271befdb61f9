"""CPU used by the play screen while lines stream in: 200 lines at 100 tokens per second.

    python benchmarks/tui_stream.py [--lines 200] [--tps 100] [--words 12] [--prefill 1000]

The app runs headless (the compositor still renders every frame). Events go through the same
renderer the engine's events use. Reported: process CPU time / wall time while streaming, with
an empty transcript and again after ``--prefill`` committed lines (the transcript must not slow down).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DIGITAL_ACTORS_HOME", tempfile.mkdtemp(prefix="da-bench-"))

from digital_actors import events as ev  # noqa: E402
from digital_actors.clock import FakeClock  # noqa: E402
from digital_actors.config import Settings  # noqa: E402
from digital_actors.engine import Engine, SessionRequest  # noqa: E402
from tui.app import DigitalActorsApp  # noqa: E402
from tui.screens.play import PlayScreen  # noqa: E402
from tui.widgets.transcript import Transcript  # noqa: E402

WORDS = "the pressure is rising and I need you to turn the valve before the next alarm goes".split()


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def stream(screen: PlayScreen, lines: int, tps: float, words: int, tag: str) -> tuple[float, float]:
    """Stream ``lines`` lines token by token at ``tps``; returns (wall seconds, cpu seconds)."""
    interval = 1.0 / tps
    wall0, cpu0 = time.perf_counter(), cpu()
    deadline = wall0
    for n in range(lines):
        line_id = f"{tag}-{n}"
        screen.renderer.show(ev.LineStarted(line_id, "bob", "Bob", "reply", "benchmark"))
        text = []
        for i in range(words):
            token = WORDS[(n + i) % len(WORDS)] + " "
            text.append(token)
            screen.renderer.show(ev.LineDelta(line_id, token))
            deadline += interval
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        screen.renderer.show(ev.LineFinished(line_id, "bob", "".join(text).strip()))
    return time.perf_counter() - wall0, cpu() - cpu0


async def main(args: argparse.Namespace) -> None:
    # The UI alone: no speech synthesis competing for the CPU.
    engine = Engine(Settings(voice=False), extra_scenes=[ROOT / "tests" / "tui" / "fixtures"], clock=FakeClock())
    app = DigitalActorsApp(engine, start=SessionRequest(scene="mini", seed=1, pace=0), pace=0, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, PlayScreen)
        idle_wall0, idle_cpu0 = time.perf_counter(), cpu()
        await asyncio.sleep(2.0)
        idle = (cpu() - idle_cpu0) / (time.perf_counter() - idle_wall0)
        wall, used = await stream(screen, args.lines, args.tps, args.words, "a")
        transcript = screen.query_one(Transcript)
        t0 = time.perf_counter()
        for n in range(args.prefill):
            transcript.say("Bob", "bob", f"prefilled line {n}: " + " ".join(WORDS))
        await pilot.pause()
        prefill_ms = (time.perf_counter() - t0) * 1000
        wall2, used2 = await stream(screen, args.lines, args.tps, args.words, "b")
    tokens = args.lines * args.words
    print(f"idle play screen: CPU {idle * 100:.1f}%")
    print(f"streaming {args.lines} lines ({tokens} tokens at {args.tps:g}/s), empty transcript: "
          f"CPU {used / wall * 100:.1f}% over {wall:.1f} s")
    print(f"appending {args.prefill} committed lines: {prefill_ms:.0f} ms "
          f"({prefill_ms / max(args.prefill, 1):.2f} ms per line)")
    print(f"streaming again with {transcript.lines_written} lines in the transcript: "
          f"CPU {used2 / wall2 * 100:.1f}% over {wall2:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--tps", type=float, default=100.0)
    parser.add_argument("--words", type=int, default=20, help="tokens per line (a short spoken line)")
    parser.add_argument("--prefill", type=int, default=1000)
    asyncio.run(main(parser.parse_args()))
