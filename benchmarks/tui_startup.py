"""Time from launching the terminal game to an interactive scene picker (cold process, headless).

    python benchmarks/tui_startup.py [--runs 7]

Each run is a fresh Python process (imports included) that builds the Engine and the App,
runs it headless and prints READY when the picker has loaded its scenes and has focus.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "tui" / "fixtures"

CHILD = """
import asyncio
from pathlib import Path
from digital_actors.config import Settings
from digital_actors.engine import Engine
from tui.app import DigitalActorsApp

class Probe(DigitalActorsApp):
    def on_picker_screen_ready(self, message):
        print("READY", message.count, flush=True)
        self.exit(0)

async def main():
    engine = Engine(Settings(), extra_scenes=[Path({fixtures!r})])
    app = Probe(engine, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        while app.is_running:
            await pilot.pause(0.005)

asyncio.run(main())
"""


def one_run() -> tuple[float, str]:
    env = dict(os.environ, DIGITAL_ACTORS_HOME=tempfile.mkdtemp(prefix="da-bench-"))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(fixtures=str(FIXTURES))], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=30)
    if not line.startswith("READY"):
        raise SystemExit(f"child did not report READY (exit {proc.returncode})")
    return elapsed, line.split()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        seconds, scenes = one_run()
        times.append(seconds)
    times.sort()
    print(f"launch → interactive picker ({scenes} scene(s), {args.runs} cold runs): "
          f"median {statistics.median(times) * 1000:.0f} ms, min {times[0] * 1000:.0f} ms, "
          f"max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
