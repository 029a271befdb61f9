"""axe-core finds no serious or critical problem on the scene list, the stage, the ending, the stage after
the ending and the windows, in both themes (WCAG 2.2 A and AA rules, colour contrast included)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BROWSER_MARKS, GameFactory, PageFactory, start_scene

pytestmark = BROWSER_MARKS
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # axe-core 4.14.1
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def test_the_vendored_axe_is_the_pinned_release() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


async def serious(page: Any, where: str) -> list[str]:
    """Serious and critical violations on the page now, one line each."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                                 " resultTypes: ['violations']})", TAGS)
    found = []
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:4]]
            found.append(f"{where}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return found


@pytest.mark.parametrize("theme", ["dark", "light"])
async def test_no_serious_violations_anywhere_a_player_goes(game: GameFactory, open_page: PageFactory,
                                                            theme: str) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini", "chatty"))
    page = await open_page(g.url, theme=theme, bypass_csp=True)  # axe is injected as a script
    assert await page.evaluate("document.documentElement.dataset.theme") == theme
    problems = await serious(page, "picker")

    await start_scene(page, "Mini")
    await expect(page.locator("#transcript .entry.actor")).to_have_count(1)
    await page.locator("#say").fill("What is your name?")
    await page.locator("#say").press("Enter")
    await expect(page.locator("#transcript .entry.actor .text").last).to_have_text("Bob.")
    await page.get_by_role("button", name="PUMP").click()
    await expect(page.locator(".control-button[aria-disabled=true]")).to_have_count(1)  # cooling down
    problems += await serious(page, "stage")

    for opener, window in (("#open-settings", "#settings"), ("#open-help", "#help"), ("#open-memory", "#memory")):
        await page.locator(opener).click()
        await expect(page.locator(window)).to_be_visible()
        problems += await serious(page, window)
        await page.keyboard.press("Escape")
        await expect(page.locator(window)).to_be_hidden()
        await expect(page.locator("#pause")).to_have_text("Pause")  # the window paused the scene; closed, it runs

    await page.locator("#leave").click()
    await expect(page.locator("#confirm")).to_be_visible()
    problems += await serious(page, "leave confirmation")
    await page.keyboard.press("Escape")
    await expect(page.locator("#pause")).to_have_text("Pause")

    await g.clock.advance(150)  # out of air
    await expect(page.locator("#ending")).to_be_visible()
    await expect(page.locator("#over-title")).to_have_text("Out of air")
    problems += await serious(page, "ending")
    await page.keyboard.press("Escape")
    await expect(page.locator("#ending")).to_be_hidden()
    problems += await serious(page, "stage after the ending")  # the log can still be reached and scrolled
    assert problems == []
    assert page.problems == []
