"""Pilot tests of the picker, profile, settings, help and inspector, and of hot reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, Switch

from digital_actors.errors import MemoryStoreError
from tests.tui.conftest import AppFactory, play_screen, settle, transcript_text
from tui.keys import HELP
from tui.screens.help import HelpScreen
from tui.screens.picker import PickerScreen
from tui.screens.play import PlayScreen
from tui.screens.profile import NOT_AVAILABLE, ProfileScreen
from tui.screens.settings import SettingsScreen
from tui.widgets.inspector import Inspector
from tui.widgets.suggestions import SuggestionBar

SIZE = (120, 40)


class FakeProfile:
    """An in-memory profile provider."""

    def __init__(self, fail: bool = False) -> None:
        self.rows = [("1", "Bob", "You thanked him twice."), ("2", "Bob", "You pumped the air early.")]
        self.fail = fail
        self.forgotten: list[str | None] = []

    async def memories(self) -> list[tuple[str, str, str]]:
        if self.fail:
            raise MemoryStoreError("the memory store is locked", hint="close the other game and try again")
        return list(self.rows)

    async def forget(self, memory_id: str | None) -> None:
        self.forgotten.append(memory_id)
        self.rows = [r for r in self.rows if memory_id is not None and r[0] != memory_id]


async def test_picker_lists_scenes_with_best_results_and_starts_one(make_app: AppFactory) -> None:
    async def best() -> dict[str, str]:
        return {"mini": "Friends · 2 tries"}

    app, _ = make_app(play=False, best_results=best)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        await picker.workers.wait_for_complete()
        await pilot.pause()
        option = picker.query_one(OptionList).get_option_at_index(0)
        text = str(option.prompt)
        assert "Mini" in text and "tutorial · 2 min" in text and "best: Friends · 2 tries" in text
        assert "A tiny scene for testing" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PlayScreen)
        assert "Bob: Hello?" in transcript_text(app)


async def test_picker_shows_no_best_results_without_a_memory_source(make_app: AppFactory) -> None:
    app, _ = make_app(play=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        assert "best:" not in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)


async def test_profile_lists_memories_and_forgets(make_app: AppFactory) -> None:
    profile = FakeProfile()
    app, _ = make_app(play=False, profile=profile, player="ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        screen = app.screen
        assert isinstance(screen, ProfileScreen)
        await screen.workers.wait_for_complete()
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        await pilot.press("delete")  # forget the selected (first) note
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert profile.forgotten == ["1"] and table.row_count == 1
        await pilot.click("#forget-all")
        await pilot.press("y")  # confirm
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert profile.forgotten == ["1", None] and table.row_count == 0
        assert "remember nothing" in str(screen.query_one("#profile-status").render())


async def test_profile_without_memory_says_so(make_app: AppFactory) -> None:
    app, _ = make_app(play=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        assert NOT_AVAILABLE in str(app.screen.query_one("#profile-status").render())
        assert app.screen.query_one("#forget-all").disabled


async def test_profile_store_errors_show_the_hint(make_app: AppFactory) -> None:
    app, _ = make_app(play=False, profile=FakeProfile(fail=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await app.screen.workers.wait_for_complete()
        status = str(app.screen.query_one("#profile-status").render())
        assert "locked" in status and "close the other game" in status


async def test_settings_turn_suggestions_off_and_show_the_performer(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = play_screen(app).session
        await pilot.press("f7")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert session.paused  # a dialog over the scene stops its clock
        assert "understudy" in str(screen.query_one("#performer").render())
        assert "off (you turned it off)" in str(screen.query_one("#voice-info").render())
        screen.query_one("#set-voice", Switch).toggle()
        await pilot.pause()
        assert "VOICE=false" in str(screen.query_one("#voice-info").render())  # the suite runs with VOICE=false
        screen.query_one("#set-suggestions", Switch).toggle()
        await pilot.press("right", "right")
        await pilot.click("#save")
        await pilot.pause()
        assert app.preferences.voice and not app.preferences.suggestions and app.preferences.volume == 1.0
        assert not session.paused
        assert not play_screen(app).query_one(SuggestionBar).display
        await pilot.press(*"hello", "enter")
        await settle(pilot)
        assert not play_screen(app).query_one(SuggestionBar).display


async def test_help_lists_every_binding(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        documented = " ".join(h.keys.lower() for h in HELP)
        for binding in [*PlayScreen.BINDINGS, *type(app).BINDINGS]:
            for key in binding.key.split(","):  # type: ignore[union-attr]
                name = key.replace("escape", "esc")
                if name[-1].isdigit() and not name.startswith("f"):
                    name = name[:-1] + "1-9"
                assert name in documented, key
        await pilot.press("f8")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.rows()[-len(HELP):] == list(HELP)
        await pilot.press("escape")
        assert isinstance(app.screen, PlayScreen)


def help_text(screen: HelpScreen) -> list[str]:
    """The help table as drawn on screen, one string per row."""
    keys = screen.query_one("#keys")
    return [strip.text for strip in keys.render_lines(keys.region.reset_offset)] if keys.region.area else []


@pytest.mark.parametrize("size", [(80, 24), (140, 40)])
async def test_help_lists_the_scene_controls_with_their_keys_and_shows_where(make_app: AppFactory,
                                                                           size: tuple[int, int]) -> None:
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        rows = screen.rows()
        assert [(r.keys, r.where) for r in rows[:2]] == [("1 / Alt+1", "this scene"), ("2 / Alt+2", "this scene")]
        assert rows[0].what == "PUMP"
        assert rows[1].what == "HATCH (the hatch is jammed until later)"
        drawn = help_text(screen)
        header = next(line for line in drawn if "does" in line)
        assert header.split() == ["key", "does", "where"]
        assert any("PUMP" in line and "this scene" in line for line in drawn), drawn


async def test_inspector_shows_hidden_state_director_sources_and_timings(make_app: AppFactory) -> None:
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"thank you", "enter")
        await settle(pilot)
        await clock.advance(51)  # air <= 50: the director's note
        await settle(pilot)
        await pilot.press("f12")
        inspector = play_screen(app).query_one(Inspector)
        assert inspector.display
        text = "\n".join(str(s.render()) for s in inspector.query(".inspector-section"))
    assert "· bond = 50" in text and "· clock" in text and "low_air → note: Bob is short of breath." in text
    assert "kind ×1" in text and "understudy: script.opening" in text
    assert "total" in text and "no model active" in text


async def test_hot_reload_restarts_on_save_and_keeps_playing_on_errors(make_app: AppFactory,
                                                                      scenes_dir: Path) -> None:
    app, _ = make_app()
    toml = scenes_dir / "mini" / "scene.toml"
    notes: list[str] = []
    shown = app.notify
    app.notify = lambda message, **kw: (notes.append(message), shown(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = play_screen(app)
        first = screen.session
        toml.write_text(toml.read_text().replace('title = "Mini"', 'title = "Mini Two"'))
        assert await screen.check_scene_files() == ["scene.toml"]
        await settle(pilot)
        assert screen.session is not first and screen.session.scene.title == "Mini Two"
        assert "reloaded (scene.toml)" in transcript_text(app)
        second = screen.session
        toml.write_text(toml.read_text().replace('kind = "failure"', 'kind = "maybe"'))
        assert await screen.check_scene_files() == ["scene.toml"]
        await settle(pilot)
        assert screen.session is second and not second.ended  # still playing the last good version
        assert any("endings[0].kind" in n for n in notes), notes
        await pilot.press(*"what's your name", "enter")
        await settle(pilot)
        assert "Bob: Bob." in transcript_text(app)
        assert await screen.check_scene_files() == []


async def test_a_failed_ending_shows_its_authored_hint(make_app: AppFactory) -> None:
    from digital_actors.events import GameOver
    from tui.screens.game_over import GameOverScreen

    app, _ = make_app(play=False)
    async with app.run_test(size=(80, 24)) as pilot:
        over = GameOver("suffocated", "failure", "Out of air", "The line went quiet.", 61.0, {},
                        hint="Pump before the gauge turns red.")
        await app.push_screen(GameOverScreen(over, [("Time", "1:01")]))
        await pilot.pause()
        shown = str(app.screen.query_one("#hint").render())
        assert "Pump before the gauge turns red." in shown
