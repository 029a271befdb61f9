"""What players of similar games expect: leaving asks first, stops the voice and ends the scene on the
server (recorded as quit, and no ending pops up later); restart asks first; the transcript downloads;
settings are remembered on this device; what the characters remember can be read and forgotten."""

from __future__ import annotations

from typing import Any

from digital_actors.voice.base import SilentVoice
from tests.e2e.conftest import BROWSER_MARKS, GameFactory, PageFactory, start_scene, token_of

pytestmark = BROWSER_MARKS


async def round_trip(page: Any, name: str) -> None:
    """Save a name and wait for the server's answer: every command sent before it has been handled."""
    from playwright.async_api import expect

    await page.locator("#name").fill(name)
    await page.locator("#name-form button").click()
    await expect(page.locator("#name-status")).to_have_text(f"The characters will call you {name}.")


async def test_leaving_asks_stops_the_voice_and_records_quit(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",), speaker=SilentVoice(ms_per_char=1500), open_memory=True)  # about 20 s of speech
    page = await open_page(g.url)
    player_id = await page.evaluate("localStorage.getItem('digital-actors.player')")
    await start_scene(page, "Mini")
    await expect(page.locator("body")).to_have_attribute("data-audio", "playing")
    await expect(page.locator("#voice-playing")).to_be_visible()

    await page.locator("#leave").click()
    confirm = page.locator("#confirm")
    await expect(confirm).to_be_visible()
    await expect(page.locator("#confirm-title")).to_have_text("Leave this scene?")
    await page.locator("#confirm-no").click()  # not yet: the scene goes on
    await expect(confirm).to_be_hidden()
    await expect(page.locator("#stage")).to_be_visible()
    await expect(page.locator("#pause")).to_have_text("Pause")

    await page.locator("#leave").click()
    await page.locator("#confirm-yes").click()
    await expect(page.locator("#picker")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-audio", "idle")  # the voice stops at once
    await round_trip(page, "Ada")
    assert g.store is not None
    attempts = (await g.store.export(player_id))["scene_attempts"]
    assert [a["outcome"] for a in attempts] == ["quit"]

    await g.clock.advance(200)  # long past the moment the air would have run out
    await round_trip(page, "Bea")
    await expect(page.locator("#ending")).to_be_hidden()
    await expect(page.locator("#picker")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-audio", "idle")
    assert [a["outcome"] for a in (await g.store.export(player_id))["scene_attempts"]] == ["quit"]
    assert page.problems == []


async def test_restart_asks_first_and_the_transcript_downloads(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",))
    page = await open_page(g.url)
    await start_scene(page, "Mini")
    transcript = page.locator("#transcript")
    await page.locator("#say").fill("What is your name?")
    await page.locator("#say").press("Enter")
    await expect(transcript.locator(".entry.actor .text").last).to_have_text("Bob.")

    async with page.expect_download() as caught:
        await page.get_by_role("button", name="Save transcript").click()
    download = await caught.value
    name = download.suggested_filename
    assert name.startswith("digital-actors-mini-") and name.endswith(".txt")
    text = (await download.path()).read_text(encoding="utf-8")
    assert text.startswith("Digital Actors: Mini\n")
    assert "Bob: Hello? Anyone?\nYou: What is your name?\nBob: Bob.\n" in text

    await page.locator("#restart").click()
    await expect(page.locator("#confirm-title")).to_have_text("Start again from the top?")
    await page.keyboard.press("Escape")  # Esc answers no
    await expect(page.locator("#confirm")).to_be_hidden()
    await expect(transcript.locator(".entry.you")).to_have_count(1)
    await page.locator("#restart").click()
    await page.locator("#confirm-yes").click()
    await expect(transcript.locator(".entry.you")).to_have_count(0)
    await expect(transcript.locator(".entry.actor")).to_have_count(1)
    assert page.problems == []


async def test_settings_are_remembered_and_reach_the_server(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",))
    page = await open_page(g.url, theme="dark")
    await page.locator("#open-settings").click()
    await page.get_by_label("Light").check()
    await expect(page.locator("html")).to_have_attribute("data-theme", "light")
    await page.get_by_label("Voices").uncheck()
    await page.get_by_label("Text speed").select_option("fast")
    await page.get_by_role("checkbox", name="Suggested replies").uncheck()
    await page.locator("#set-volume").fill("30")
    await page.get_by_role("button", name="Done").click()
    await expect(page.locator("#settings")).to_be_hidden()
    player = g.player(await token_of(page))
    await round_trip(page, "Ada")
    assert (player.voice, player.text_speed, player.suggestions) == (False, "fast", False)

    await page.reload()  # this device remembers; the server hears it again on every connection
    await expect(page.locator("html")).to_have_attribute("data-theme", "light")
    await page.locator("#open-settings").click()
    await expect(page.get_by_label("Voices")).not_to_be_checked()
    await expect(page.get_by_label("Text speed")).to_have_value("fast")
    await expect(page.locator("#set-volume")).to_have_value("30")
    await expect(page.locator("#volume-text")).to_have_text("30%")
    assert page.problems == []


async def test_what_they_remember_can_be_read_and_forgotten(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",), open_memory=True)
    page = await open_page(g.url)
    await page.locator("#open-memory").click()
    await expect(page.locator("#memory-status")).to_have_text("They remember nothing about you yet.")
    await page.keyboard.press("Escape")

    await start_scene(page, "Mini")
    await page.locator("#say").fill("My name is Ada.")
    await page.locator("#say").press("Enter")
    await expect(page.locator("#transcript .entry.actor")).to_have_count(2)
    await page.locator("#leave").click()
    await page.locator("#confirm-yes").click()
    await round_trip(page, "Ada")

    await page.locator("#open-memory").click()
    notes = page.locator("#memory-notes .note")
    await expect(notes).to_have_count(2)
    await expect(page.locator("#memory-status")).to_have_text("2 things remembered about you.")
    await expect(notes.first).to_contain_text("Bob")
    await expect(notes.first).to_contain_text("They told me their name is Ada.")
    await page.get_by_role("button", name="Forget: They told me their name is Ada.").click()
    await expect(notes).to_have_count(1)
    await expect(page.locator("#memory-status")).to_have_text("Forgotten.")

    await page.get_by_role("button", name="Forget everything").click()
    await expect(page.locator("#confirm-title")).to_have_text("Forget everything?")
    await page.locator("#confirm-yes").click()
    await expect(notes).to_have_count(0)
    await expect(page.locator("#memory-status")).to_contain_text("Everything is forgotten.")
    await expect(page.locator("#memory")).to_be_visible()  # the confirmation closed, not the window
    await page.keyboard.press("Escape")
    await expect(page.locator("#name")).to_have_value("")
    assert g.store is not None
    assert await g.store.get_player(await page.evaluate("localStorage.getItem('digital-actors.player')")) is None
    assert page.problems == []


async def test_with_the_voice_on_the_text_appears_with_its_audio(game: GameFactory, open_page: PageFactory) -> None:
    """A voiced line shows each sentence when its audio starts: the text never runs more than one
    sentence ahead of what is heard (the whole line's text arrives at once; "Hello?" is ~4 s of audio)."""
    from playwright.async_api import expect

    g = await game(scenes=("mini",), speaker=SilentVoice(ms_per_char=600))
    page = await open_page(g.url)
    await start_scene(page, "Mini")
    line = page.locator(".entry.actor .text").last
    await expect(line).to_have_text("Hello?")  # the first sentence, with its audio
    assert "Anyone?" not in (await line.text_content() or "")  # the second is seconds of audio away
    await expect(line).to_have_text("Hello? Anyone?", timeout=12000)
    assert page.problems == []


async def test_with_the_voice_off_the_text_streams_at_once(game: GameFactory, open_page: PageFactory) -> None:
    from playwright.async_api import expect

    g = await game(scenes=("mini",), speaker=SilentVoice(ms_per_char=600))
    page = await open_page(g.url, prefs={"voice": False})
    await start_scene(page, "Mini")
    await expect(page.locator(".entry.actor .text").last).to_have_text("Hello? Anyone?", timeout=1500)
    assert page.problems == []
