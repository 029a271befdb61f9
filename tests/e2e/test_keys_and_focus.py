"""Keys and focus, the same as the terminal game where a browser allows: the input has focus when a
scene starts and after a window closes; Esc pauses and resumes, F4 interrupts; a digit presses a
control only while the input is empty; a locked control says why; the ending keeps focus inside and
Esc closes it back to the scene, where the transcript can still be reached."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BROWSER_MARKS, GameFactory, PageFactory, start_scene, token_of

pytestmark = BROWSER_MARKS


async def focused(page: Any) -> str:
    return str(await page.evaluate("document.activeElement.id || document.activeElement.tagName"))


async def test_the_input_has_focus_and_esc_pauses_as_in_the_terminal(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("chatty",), pace=0.1)
    page = await open_page(g.url)
    await start_scene(page, "Chatty")
    await expect(page.locator("#say")).to_be_focused()
    session = g.player(await token_of(page)).session
    assert session is not None

    await page.keyboard.press("Escape")
    await expect(page.locator("#pause")).to_have_text("Resume")
    assert session.paused
    await page.keyboard.press("Escape")
    await expect(page.locator("#pause")).to_have_text("Pause")
    assert not session.paused

    await g.clock.advance(0.5)  # the opening is streaming: a few words in
    speaking = page.locator("#transcript .text.speaking")
    await expect(speaking).to_have_count(1)
    await page.keyboard.press("F4")  # interrupt, without a word
    await expect(page.locator("#transcript .entry.actor.cut")).to_have_count(1)
    text = await page.locator("#transcript .entry.actor .text").first.text_content()
    assert text is not None and text.endswith(" —") and len(text.split()) < 12

    await page.locator("#open-help").click()  # a window over the scene pauses it; closing resumes
    await expect(page.locator("#help")).to_be_visible()
    await expect(page.locator("#pause")).to_have_text("Resume")
    await page.keyboard.press("Escape")
    await expect(page.locator("#help")).to_be_hidden()
    await expect(page.locator("#pause")).to_have_text("Pause")
    await expect(page.locator("#say")).to_be_focused()
    assert page.problems == []


async def test_digits_press_controls_only_from_an_empty_input_and_a_locked_one_says_why(
        game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",))
    page = await open_page(g.url)
    await start_scene(page, "Mini")
    transcript = page.locator("#transcript")
    await expect(transcript.locator(".entry.actor")).to_have_count(1)
    await page.keyboard.press("1")  # the input is empty: PUMP
    await expect(transcript.locator(".entry.actor .text").last).to_have_text("Pumping.")
    assert await page.locator("#say").input_value() == ""
    pump = page.locator(".control-button", has_text="PUMP")
    await expect(pump).to_have_attribute("aria-disabled", "true")  # cooling down: pressable, not usable
    await expect(pump).to_contain_text("cooling down")

    await page.keyboard.press("1")  # the key of a locked control: the scene says why
    await expect(transcript.locator(".entry.narration.refusal")).to_have_count(1)
    await expect(transcript.locator(".entry.narration.refusal")).to_contain_text("PUMP: cooling down")
    await expect(pump).to_have_class("control-button refused")
    await pump.click(force=True)  # the button too (Playwright will not click an aria-disabled one unforced)
    await expect(transcript.locator(".entry.narration.refusal")).to_have_count(2)

    await page.locator("#say").type("I have 2 kids")  # typing: digits are just digits
    assert await page.locator("#say").input_value() == "I have 2 kids"
    await expect(transcript.locator(".entry.narration.refusal")).to_have_count(2)
    assert page.problems == []


async def test_the_ending_keeps_focus_inside_and_esc_goes_back_to_the_scene(
        game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("chatty",))
    page = await open_page(g.url)
    await start_scene(page, "Chatty")
    await expect(page.locator("#transcript .entry.actor")).to_have_count(1)
    await page.keyboard.press("2")  # TUNE TO CHANNEL SIXTEEN (id "tune")
    await expect(page.locator("#transcript .entry.actor")).to_have_count(2)
    await g.clock.advance(400)  # the generator runs dry
    ending = page.locator("#ending")
    await expect(ending).to_be_visible()
    await expect(page.locator("#over-title")).to_have_text("The station goes dark")
    await expect(page.locator("#over-hint")).to_have_text("Next time: Restart the generator before the fuel runs out.")
    await expect(page.locator("#retry")).to_be_focused()
    inside = "document.getElementById('ending').contains(document.activeElement)"
    for _ in range(7):
        await page.keyboard.press("Tab")
        assert await page.evaluate(inside)
    for _ in range(7):
        await page.keyboard.press("Shift+Tab")
        assert await page.evaluate(inside)
    stats = await page.locator("#over-stats").text_content()
    assert stats is not None and "Tune To Channel Sixteenused once" in stats  # labels, never ids
    assert "tune" not in stats and "uses." not in stats

    await page.keyboard.press("Escape")
    await expect(ending).to_be_hidden()
    await expect(page.locator("#transcript")).to_be_focused()  # reading is what is left to do
    await expect(page.locator("#ended")).to_be_visible()
    await expect(page.locator("#composer")).to_be_hidden()
    await page.keyboard.press("Escape")  # Esc on a finished scene does nothing (nothing to pause)
    await expect(page.locator("#pause")).to_have_text("Pause")
    await page.locator("#show-ending").click()
    await expect(ending).to_be_visible()
    await page.locator("#retry").click()
    await expect(ending).to_be_hidden()
    await expect(page.locator("#composer")).to_be_visible()
    await expect(page.locator("#say")).to_be_focused()
    assert page.problems == []


async def test_a_phone_does_not_pop_its_keyboard_at_the_start(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",))
    page = await open_page(g.url, size="360x740")
    await start_scene(page, "Mini")
    await expect(page.locator("#transcript .entry.actor")).to_have_count(1)
    assert await focused(page) != "say"
    top = await page.evaluate("document.getElementById('gauges').getBoundingClientRect().top")
    assert 0 < top < 200  # the stage opens at its top, gauges in view
