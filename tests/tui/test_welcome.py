"""The first run asks who is playing inside the game (the welcome screen), never in line mode
before it opens; a skipped name is never spoken, and a later run goes straight in."""

from __future__ import annotations

from pathlib import Path

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import DEFAULT_PROFILE, Engine, SessionRequest
from tests.tui.conftest import play_screen, settle, transcript_text
from tests.tui.test_fit import assert_every_button_reachable
from tui.app import DigitalActorsApp
from tui.providers import Player, Preferences
from tui.run import has_terminal_profile, player_for, profile_maker
from tui.screens.play import PlayScreen
from tui.screens.welcome import WelcomeScreen

SMALL = (80, 24)


def first_run_app(engine: Engine) -> DigitalActorsApp:
    return DigitalActorsApp(engine, start=SessionRequest(scene="mini", seed=1, pace=0.0), pace=0.0,
                            watch_interval=None, preferences=Preferences(voice=False),
                            ask_name=profile_maker(engine, Player()))


async def test_the_name_typed_on_the_welcome_screen_makes_the_profile_the_characters_use(scenes_dir: Path) -> None:
    async with Engine.open(Settings(), extra_scenes=(scenes_dir,), clock=FakeClock(), open_memory=True) as engine:
        assert not await has_terminal_profile(engine)
        app = first_run_app(engine)
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, WelcomeScreen)  # before any scene starts
            assert not any(isinstance(s, PlayScreen) for s in app.screen_stack)
            await pilot.press(*"  Ada  Lovelace ", "enter")
            await settle(pilot)
            screen = play_screen(app)
            assert screen.session is not None and screen.session.player_name == "Ada Lovelace"
            assert app.player == "Ada Lovelace" and app.player_id is not None
        players = [p for p in await engine.store.list_players() if p.kind == "terminal"]
        assert [(p.name, p.given_name) for p in players] == [("Ada Lovelace", "Ada Lovelace")]
        assert await has_terminal_profile(engine)  # the next run does not ask again


async def test_a_skipped_name_is_never_spoken(scenes_dir: Path) -> None:
    async with Engine.open(Settings(), extra_scenes=(scenes_dir,), clock=FakeClock(), open_memory=True) as engine:
        app = first_run_app(engine)
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, WelcomeScreen)
            await pilot.press("escape")
            await settle(pilot)
            screen = play_screen(app)
            assert screen.session is not None and not screen.session.player_name
            assert app.player is None and app.player_id is not None  # remembered, but unnamed
            assert DEFAULT_PROFILE not in transcript_text(app).lower()
        players = [p for p in await engine.store.list_players() if p.kind == "terminal"]
        assert [(p.name, p.given_name) for p in players] == [(DEFAULT_PROFILE, "")]


async def test_an_empty_name_is_a_skip_and_the_welcome_fits_80x24(scenes_dir: Path) -> None:
    async with Engine.open(Settings(), extra_scenes=(scenes_dir,), clock=FakeClock(), open_memory=True) as engine:
        app = first_run_app(engine)
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            await assert_every_button_reachable(pilot)
            assert isinstance(app.screen, WelcomeScreen)
            await pilot.click("#continue")
            await settle(pilot)
            assert isinstance(app.screen, PlayScreen)
            assert not play_screen(app).session.player_name
            assert app.player is None


async def test_a_known_player_goes_straight_in(scenes_dir: Path) -> None:
    async with Engine.open(Settings(), extra_scenes=(scenes_dir,), clock=FakeClock(), open_memory=True) as engine:
        await engine.terminal_player("Ada")
        assert await has_terminal_profile(engine)
        known = await player_for(engine, None, Player())
        assert known.name == "Ada" and known.player_id is not None and known.profile is not None
        unnamed = await player_for(engine, DEFAULT_PROFILE, Player())
        assert unnamed.name is None  # the default profile's name is never shown or spoken
