"""End to end in a real browser: headless Chromium (Playwright) against a server started here.

Skipped, with a reason, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
        "--disable-component-update", "--disable-sync"]
MINI = Path(__file__).resolve().parent.parent / "web" / "fixtures" / "mini"
WAIT_MS = 10_000  # a safety net for a hung browser, not a wait for time to pass

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium: `apt-get install chromium` to run browser tests"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="no Playwright: `pip install playwright` to run browser tests"),
]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, FakeClock]]:
    scenes = tmp_path / "scenes"
    shutil.copytree(MINI, scenes / "mini")
    settings = Settings(_env_file=None, digital_actors_scenes=str(scenes))  # type: ignore[call-arg]
    clock = FakeClock()
    runner = web.AppRunner(create_app(settings, engine=Engine(settings, clock=clock), pace=0), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", clock
    finally:
        await runner.cleanup()


@pytest.fixture
async def page(server: tuple[str, FakeClock]) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1100, "height": 800})
            tab = await context.new_page()
            tab.set_default_timeout(WAIT_MS)
            problems: list[str] = []
            tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: problems.append(str(e)))
            tab.problems = problems
            yield tab
            await context.close()
        finally:
            await browser.close()


async def test_play_a_scene_in_the_browser(server: tuple[str, FakeClock], page: Any) -> None:
    from playwright.async_api import expect

    url, clock = server
    await page.goto(url)
    await expect(page.locator("#status")).to_have_text("Online")
    await page.get_by_role("button", name="Mini").click()
    await expect(page.locator("#scene-title")).to_have_text("Mini")
    transcript = page.locator("#transcript")
    await expect(transcript).to_contain_text("Hello? Anyone?")
    await expect(page.locator(".gauge")).to_contain_text("Air")

    await page.locator("#say").fill("What is your name?")
    await page.locator("#say").press("Enter")
    await expect(transcript.locator(".entry.you .text").last).to_have_text("What is your name?")
    await expect(transcript.locator(".entry.actor .text").last).to_have_text("Bob.")

    await page.get_by_role("button", name="PUMP").click()
    await expect(transcript.locator(".entry.actor .text").last).to_have_text("Pumping.")
    await expect(page.locator(".control-button .reason")).to_contain_text("cooling down")

    attack = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    await page.locator("#say").fill(attack)
    await page.locator("#send").click()
    await expect(transcript.locator(".entry.you .text").last).to_have_text(attack)
    assert await page.evaluate("window.__pwned") is None
    assert await transcript.locator("script, img").count() == 0

    await clock.advance(150)
    ending = page.locator("#ending")
    await expect(ending).to_be_visible()
    await expect(page.locator("#over-title")).to_have_text("Out of air")
    await page.locator("#retry").click()
    await expect(ending).to_be_hidden()
    await expect(transcript).to_contain_text("Hello? Anyone?")
    assert page.problems == []


async def test_the_page_reconnects_and_resumes(server: tuple[str, FakeClock], page: Any) -> None:
    from playwright.async_api import expect

    url, _ = server
    await page.goto(url)
    await page.get_by_role("button", name="Mini").click()
    await expect(page.locator("#transcript")).to_contain_text("Hello? Anyone?")
    await page.reload()  # same tab: the token in sessionStorage resumes the same session
    await expect(page.locator("#scene-title")).to_have_text("Mini")
    await expect(page.locator("#transcript")).to_contain_text("Hello? Anyone?")
    assert page.problems == []
