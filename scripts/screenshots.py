"""Screenshots of the browser game at common screen sizes, in both themes, for the README.

    python scripts/screenshots.py                       # every size and theme into docs/screenshots/
    python scripts/screenshots.py --size 360x740 --theme light --out /tmp/shots

Starts the real web server in this process (the built-in scenes, the offline understudy, a fake
clock so every run shows the same moment, Python's random seeded so the understudy picks the same
lines), drives headless Chromium with Playwright and writes ``<width>x<height>-<theme>-<view>.png``
for three views: the scene list, Pressure Point mid-scene, and its ending. Needs the test extra
(Playwright) and Chromium (``/usr/bin/chromium``; ``--chromium PATH`` for another).
tests/e2e/test_screenshots.py runs it at one size to keep it working. Look at every picture
before committing it (STYLE.md §28).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--font-render-hinting=none"]
SIZES = ((1280, 800), (1366, 768), (360, 740))
THEMES = ("dark", "light")
SCENE = "Pressure Point"
WAIT_MS = 15_000
SEED = 7
# What the player says and presses before the mid-scene picture (then 40 s of scene time pass).
TURNS: tuple[tuple[str, str], ...] = (
    ("say", "Hello? I can hear you. Who are you?"), ("press", "POWER CRANK"), ("say", "My name is Ada. Are you hurt?"),
    ("press", "VENT SEAL"), ("say", "We'll get through this together. Tell me what to do."))


@asynccontextmanager
async def game_server() -> AsyncIterator[tuple[str, Any]]:
    """The web app on a free port of 127.0.0.1, with a fake clock; yields (url, clock)."""
    from aiohttp import web

    from digital_actors.clock import FakeClock
    from digital_actors.config import Settings
    from digital_actors.engine import Engine
    from web import create_app

    with tempfile.TemporaryDirectory() as home:
        was = os.environ.get("DIGITAL_ACTORS_HOME")
        os.environ["DIGITAL_ACTORS_HOME"] = home  # nothing of the developer's own data or scenes
        settings = Settings(_env_file=None, voice=False, session_rate_burst=100,  # type: ignore[call-arg]
                            web_max_sessions_per_client=100, suggestions=True)
        clock = FakeClock()
        runner = web.AppRunner(create_app(settings, engine=Engine(settings, clock=clock), pace=0), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}", clock
        finally:
            await runner.cleanup()
            if was is None:
                os.environ.pop("DIGITAL_ACTORS_HOME", None)
            else:
                os.environ["DIGITAL_ACTORS_HOME"] = was


async def take(out: Path = OUT, sizes: Sequence[tuple[int, int]] = SIZES, themes: Sequence[str] = THEMES,
               *, chromium: Path = CHROMIUM) -> list[Path]:
    """Every view at every size and theme into ``out``; returns the files written."""
    from playwright.async_api import async_playwright

    from digital_actors.logging import configure_logging

    configure_logging(level="WARNING")  # the server's request lines are not what this script is for
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    random.seed(SEED)
    written: list[Path] = []
    async with game_server() as (url, clock), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            for width, height in sizes:
                for theme in themes:
                    written += await _shoot(browser, url, clock, out, width, height, theme)
        finally:
            await browser.close()
    return written


async def _shoot(browser: Any, url: str, clock: Any, out: Path, width: int, height: int, theme: str) -> list[Path]:
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": width, "height": height}, reduced_motion="reduce",
                                        has_touch=width < 600, is_mobile=width < 600)
    prefs = json.dumps({"theme": theme, "voice": False})
    await context.add_init_script(f"localStorage.setItem('digital-actors.prefs', {json.dumps(prefs)})")
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    name = f"{width}x{height}-{theme}"
    files = []
    try:
        await page.goto(url)
        await expect(page.locator("#status")).to_have_attribute("data-state", "online")
        await expect(page.locator(".scene-card")).to_have_count(6)
        files.append(await _save(page, out / f"{name}-picker.png"))

        await page.locator(".scene-card", has_text=SCENE).click()
        await expect(page.locator("#scene-title")).to_have_text(SCENE)
        transcript = page.locator("#transcript")
        await expect(transcript.locator(".entry.actor .text:not(.speaking)")).to_have_count(1)
        for kind, what in TURNS:
            before = await transcript.locator(".entry").count()
            if kind == "say":
                await page.locator("#say").fill(what)
                await page.locator("#say").press("Enter")
            else:
                await page.locator(".control-button", has_text=what).click()
            await expect(transcript.locator(".entry")).not_to_have_count(before)
            await expect(transcript.locator(".text.speaking")).to_have_count(0)
        await clock.advance(40)
        await expect(page.locator("#clock")).to_contain_text("left")
        await page.locator("#say").blur()
        files.append(await _save(page, out / f"{name}-stage.png"))

        for _ in range(60):  # scene time until an ending (the ascent window closes at the latest)
            if await page.locator("#ending").is_visible():
                break
            await clock.advance(10)
        await expect(page.locator("#ending")).to_be_visible()
        await expect(page.locator("#over-hint")).to_be_visible()
        files.append(await _save(page, out / f"{name}-ending.png"))
    finally:
        await context.close()
    return files


async def _save(page: Any, path: Path) -> Path:
    await page.mouse.move(0, 0)  # no hover highlight on the last thing clicked
    await page.evaluate("document.fonts.ready")
    await page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    parser.add_argument("--size", action="append",
                        help="WIDTHxHEIGHT (repeatable; default: 1280x800, 1366x768, 360x740)")
    parser.add_argument("--theme", action="append", choices=THEMES, help="dark or light (repeatable; default both)")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM, help="the Chromium executable")
    args = parser.parse_args(argv)
    sizes = [tuple(int(n) for n in s.lower().split("x")) for s in args.size] if args.size else list(SIZES)
    for path in asyncio.run(take(args.out, sizes, args.theme or THEMES, chromium=args.chromium)):  # type: ignore[arg-type]
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
