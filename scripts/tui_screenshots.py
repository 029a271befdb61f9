"""Screenshots of the terminal game for the docs: picker, play mid-scene and game over, in both themes,
at 80×24 and 120×36, as docs/screenshots/tui-<view>-<theme>-<cols>x<rows>.png.

    python scripts/tui_screenshots.py [OUT_DIR]

``shoot`` (the core, tested) writes Textual SVGs; ``to_png`` turns each into a PNG with headless
Chromium (/usr/bin/chromium, or CHROMIUM). Deterministic: a fake clock, a fixed seed, the understudy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SIZES = ((80, 24), (120, 36))
VIEWS = ("picker", "play", "gameover")


async def _shot(view: str, dark: bool, size: tuple[int, int], out: Path) -> Path:
    from digital_actors.clock import FakeClock
    from digital_actors.config import Settings
    from digital_actors.engine import Engine, SessionRequest
    from tui.app import DigitalActorsApp
    from tui.providers import Preferences

    clock = FakeClock()
    engine = Engine(Settings(), clock=clock)
    start = None if view == "picker" else SessionRequest(scene="welcome", seed=1, pace=0.0)
    app = DigitalActorsApp(engine, start=start, pace=0.0, watch_interval=None,
                           preferences=Preferences(voice=False, suggestions=True, dark=dark))
    name = f"tui-{view}-{'dark' if dark else 'light'}-{size[0]}x{size[1]}.svg"
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        if view == "picker":
            await app.screen.workers.wait_for_complete()
        else:
            await pilot.press(*"Hello, my name is Sam", "enter")
            await _settle(pilot)
            await pilot.press("1")
            await _settle(pilot)
            await clock.advance(46)  # the fog, then the boat in phase 2
            await _settle(pilot)
            if view == "gameover":
                for _ in range(2):
                    for _ in range(3):
                        await pilot.press("1")
                        await _settle(pilot)
                    await pilot.press("2")
                    await clock.advance(5)
                    await _settle(pilot)
        for widget in app.screen.query("Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()
        app.save_screenshot(filename=name, path=str(out))
    return out / name


async def _settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()
        session = next((s.session for s in pilot.app.screen_stack if getattr(s, "session", None)), None)
        if session is not None:
            await session.settle()
        await pilot.pause()


def shoot(out: Path, *, views: tuple[str, ...] = VIEWS, sizes: tuple[tuple[int, int], ...] = SIZES,
          themes: tuple[bool, ...] = (True, False)) -> list[Path]:
    """Write one SVG per view, theme and size into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [asyncio.run(_shot(v, dark, size, out)) for v in views for dark in themes for size in sizes]


def to_png(svg: Path, png: Path, size: tuple[int, int]) -> None:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    width, height = 12 * size[0] + 40, 25 * size[1] + 70
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--hide-scrollbars", f"--screenshot={png}", f"--window-size={width},{height}",
                    svg.resolve().as_uri()], check=True, capture_output=True, timeout=120)


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ.setdefault("DIGITAL_ACTORS_HOME", str(home / "home"))
        os.environ["VOICE"] = "false"
        for svg in shoot(home):
            cols, rows = (int(n) for n in svg.stem.rsplit("-", 1)[1].split("x"))
            to_png(svg, out / f"{svg.stem}.png", (cols, rows))
            print(out / f"{svg.stem}.png")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "screenshots")
