"""Browser fixtures: a real server in this process (FakeClock, chosen scenes, pace, voice, memory) and
pages of headless Chromium at a chosen size and theme. Skips, with a reason, without Chromium or
Playwright (the marks are in each test module)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.store import SqliteMemoryStore
from web import create_app
from web.keys import REGISTRY
from web.player import PlayerSession

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
E2E = Path(__file__).resolve().parent
SCENES = {"mini": E2E.parent / "web" / "fixtures" / "mini", "chatty": E2E / "fixtures" / "chatty"}
BUILT_IN = E2E.parents[1] / "scenes"
WAIT_MS = 10_000  # a safety net for a hung browser, not a wait for time to pass
SIZES = {"1280x800": (1280, 800), "1366x768": (1366, 768), "360x740": (360, 740)}

BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium: `apt-get install chromium` to run browser tests"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="no Playwright: `pip install playwright` to run browser tests"),
]


@dataclass
class Game:
    """A running server: its URL, clock, app and (when asked for) memory store."""

    url: str
    clock: FakeClock
    app: web.Application
    store: SqliteMemoryStore | None

    def player(self, token: str) -> PlayerSession:
        found = self.app[REGISTRY].lookup(token)
        assert not isinstance(found, str), found
        return found


GameFactory = Callable[..., Awaitable[Game]]


@pytest.fixture
async def game(tmp_path: Path) -> AsyncIterator[GameFactory]:
    """``await game(scenes=("mini",), pace=0, speaker=None, open_memory=False, **settings)``: ``speaker`` is a
    Voice for the engine (a SilentVoice makes audio); keyword arguments are Settings fields."""
    runners: list[web.AppRunner] = []
    stores: list[SqliteMemoryStore] = []

    async def start(*, scenes: tuple[str, ...] = ("mini",), built_in: tuple[str, ...] = (), pace: float = 0.0,
                    speaker: Any = None, open_memory: bool = False, **values: Any) -> Game:
        folder = tmp_path / f"scenes{len(runners)}"
        for name in scenes:
            shutil.copytree(SCENES[name], folder / name)
        for name in built_in:
            shutil.copytree(BUILT_IN / name, folder / name)
        settings = Settings(_env_file=None, digital_actors_scenes=str(folder),  # type: ignore[call-arg]
                            session_rate_burst=100, web_max_sessions_per_client=100, **values)
        clock = FakeClock()
        store = None
        if open_memory:
            store = await SqliteMemoryStore.connect(":memory:")
            stores.append(store)
        app = create_app(settings, engine=Engine(settings, clock=clock, voice=speaker), memory_store=store, pace=pace)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return Game(f"http://127.0.0.1:{runner.addresses[0][1]}", clock, app, store)

    yield start
    for runner in runners:
        await runner.cleanup()
    for store in stores:
        await store.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


PageFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
async def open_page(browser: Any) -> AsyncIterator[PageFactory]:
    """``await open_page(url, size="1280x800", theme=None, **context)``: a page with no console errors
    recorded in ``page.problems``; ``bypass_csp=True`` for tests that inject axe-core."""
    contexts: list[Any] = []

    async def make(url: str, *, size: str = "1280x800", theme: str | None = None, prefs: dict[str, Any] | None = None,
                   **options: Any) -> Any:
        width, height = SIZES[size]
        phone = width < 600
        context = await browser.new_context(viewport={"width": width, "height": height}, has_touch=phone,
                                            is_mobile=phone, accept_downloads=True, **options)
        contexts.append(context)
        chosen = {**(prefs or {}), **({"theme": theme} if theme else {})}
        if chosen:
            await context.add_init_script(
                f"if (!localStorage.getItem('digital-actors.prefs')) "
                f"localStorage.setItem('digital-actors.prefs', {json.dumps(json.dumps(chosen))})")
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.problems = problems
        await page.goto(url)
        from playwright.async_api import expect

        await expect(page.locator("#status")).to_have_attribute("data-state", "online")
        return page

    yield make
    for context in contexts:
        await context.close()


async def start_scene(page: Any, title: str) -> None:
    """Click a scene in the list and wait for its stage."""
    from playwright.async_api import expect

    await page.locator(".scene-card", has_text=title).click()
    await expect(page.locator("#scene-title")).to_have_text(title)


async def token_of(page: Any) -> str:
    return str(await page.evaluate("sessionStorage.getItem('digital-actors.token')"))
