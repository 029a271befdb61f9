"""Pilot tests of the play screen: a playthrough, controls and refusals, pause, interrupt, retry."""

from __future__ import annotations

import asyncio

from textual.widgets import Button

from digital_actors.bus import Subscription
from digital_actors.engine import SessionRequest
from digital_actors.events import Event, Paused
from tests.tui.conftest import AppFactory, play_screen, settle, transcript_text
from tui.screens.error import ErrorDialog
from tui.screens.game_over import GameOverScreen
from tui.screens.picker import PickerScreen
from tui.widgets.controls import ControlBar
from tui.widgets.speech_input import SpeechInput
from tui.widgets.state_panel import StatePanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.suggestions import SuggestionBar
from tui.widgets.transcript import Transcript

SIZE = (120, 40)


async def test_full_playthrough_to_a_success_ending(make_app: AppFactory) -> None:
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = transcript_text(app)
        assert "You are a tester at the console." in text
        assert "Bob: Hello? Is anybody on this line?" in text
        await pilot.press(*"what's your name", "enter")
        await settle(pilot)
        assert "You: what's your name" in transcript_text(app)
        assert "Bob: Bob." in transcript_text(app)
        await clock.advance(6)  # phase 2 opens at 5 s
        await settle(pilot)
        assert "── Later ──" in transcript_text(app)
        for _ in range(2):
            await pilot.press(*"thank you", "enter")
            await settle(pilot)
        assert isinstance(app.screen, GameOverScreen)
        assert app.screen.over.ending_id == "friends"
        assert "Bob: Thanks, friend." in transcript_text(app)
        shown = str(app.screen.query_one("#ending-title").render())
        assert "Friends" in shown
        await pilot.press("escape")  # back to the scene list
        await settle(pilot, rounds=1)
        assert isinstance(app.screen, PickerScreen)


async def test_controls_show_why_they_are_refused(make_app: AppFactory) -> None:
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = play_screen(app).query_one(ControlBar)
        hatch = bar.query_one("#control-hatch", Button)
        assert hatch.disabled and "locked" in str(hatch.label)
        assert hatch.tooltip == "the hatch is jammed until later"
        await pilot.press("1")  # input empty: the digit presses PUMP
        await settle(pilot)
        pump = bar.query_one("#control-pump", Button)
        assert "Bob: Pumping." in transcript_text(app)
        assert pump.disabled and "2s" in str(pump.label)  # cooling down, with the countdown
        await pilot.press("alt+1")  # alt+digit presses even during the cooldown: refused, with the reason
        await settle(pilot)
        assert "PUMP: cooling down" in transcript_text(app) or "PUMP:" in transcript_text(app)
        await clock.advance(2)
        await settle(pilot)
        assert not pump.disabled and "×2" in str(pump.label)


async def test_digits_type_into_speech_once_it_has_text(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"I have 2 kids")
        speech = play_screen(app).query_one(SpeechInput)
        assert speech.value == "I have 2 kids"
        assert play_screen(app).session.world.pressed["pump"] == 0
        await pilot.press("enter")
        await settle(pilot)
        assert "You: I have 2 kids" in transcript_text(app)


async def test_input_history_walks_back_and_forth(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for line in ("first line", "second line"):
            await pilot.press(*line, "enter")
            await settle(pilot)
        speech = play_screen(app).query_one(SpeechInput)
        await pilot.press(*"draft")
        await pilot.press("up")
        assert speech.value == "second line"
        await pilot.press("up", "up")
        assert speech.value == "first line"
        await pilot.press("down")
        assert speech.value == "second line"
        await pilot.press("down")
        assert speech.value == "draft"


async def test_suggestions_are_said_with_function_keys(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = play_screen(app).query_one(SuggestionBar)
        assert bar.display and len(bar.items) == 3
        first = bar.items[0]
        await pilot.press("f1")
        await settle(pilot)
        assert f"You: {first}" in transcript_text(app)


async def test_escape_pauses_the_scene_clock(make_app: AppFactory) -> None:
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = play_screen(app).session
        await pilot.press("escape")
        await settle(pilot)
        assert session.paused
        assert play_screen(app).query_one("#paused").display
        before = (session.world.elapsed, dict(session.world.values))
        await clock.advance(10)
        await settle(pilot)
        assert (session.world.elapsed, dict(session.world.values)) == before
        await pilot.press("escape")
        await settle(pilot)
        assert not session.paused and not play_screen(app).query_one("#paused").display
        await clock.advance(3)
        await settle(pilot)
        assert session.world.elapsed == before[0] + 3


async def test_typing_while_the_actor_speaks_interrupts(make_app: AppFactory) -> None:
    app, clock = make_app(pace=0.5)  # half a second per word on the fake clock
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await clock.advance(1.6)
        await pilot.pause()
        screen = play_screen(app)
        transcript = screen.query_one(Transcript)
        assert screen.session.speaking
        assert transcript.live_text.startswith("Hello?")
        assert screen.query_one(StatusBar).query_one("#speaking").display
        await pilot.press(*"wait", "enter")
        await pilot.pause()
        await clock.advance(5)
        await settle(pilot)
        text = transcript_text(app)
        assert "Bob: Hello?" in text and " —" in text  # cut off mid-line
        assert "Bob stops mid-sentence." in text
        assert "You: wait" in text
        assert screen.session.world.values["bond"] == 0  # interruption effect (-1) clamped at 0


async def test_interrupt_key_cuts_the_line_without_speaking(make_app: AppFactory) -> None:
    app, clock = make_app(pace=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await clock.advance(1.1)
        await pilot.pause()
        await pilot.press("f4")
        await settle(pilot)
        assert "Bob stops mid-sentence." in transcript_text(app)
        assert "You:" not in transcript_text(app)


async def test_game_over_then_retry_starts_again(make_app: AppFactory) -> None:
    app, clock = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = play_screen(app).session
        await clock.advance(101)  # air runs out at 1 per second
        await settle(pilot)
        assert isinstance(app.screen, GameOverScreen)
        assert app.screen.over.ending_id == "suffocated"
        assert "The line went quiet." in str(app.screen.query_one("#epilogue").render())
        await pilot.press("r")
        await settle(pilot)
        screen = play_screen(app)
        assert app.screen is screen and screen.session is session
        assert session.game_over is None and session.world.elapsed == 0
        assert screen.query_one(StatePanel).gauge("air").view.value == 100


async def test_gauges_colour_by_danger_and_start_anywhere(make_app: AppFactory) -> None:
    request = SessionRequest(scene="mini", seed=1, pace=0, start_phase=2, overrides=(("air", 15.0),))
    app, _ = make_app(request=request)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = play_screen(app).query_one(StatePanel)
        assert "Later" in str(panel.query_one("#phase").render())
        air = panel.gauge("air")
        assert air.view.value == 15 and air.view.level == "danger" and air.has_class("-danger")
        assert "2:00" in str(panel.query_one("#countdown").render())
        hatch = play_screen(app).query_one("#control-hatch", Button)
        assert not hatch.disabled


async def test_a_bad_start_shows_the_error_and_falls_back_to_the_picker(make_app: AppFactory) -> None:
    app, _ = make_app(request=SessionRequest(scene="mini", start_phase=9, pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=1)
        assert isinstance(app.screen, ErrorDialog)
        assert "no phase 9" in app.screen.error.message
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)


async def _rest(sub: Subscription) -> list[Event]:
    """What is left in a subscription; it ends only when the session closed (the timeout guards a hang)."""

    async def collect() -> list[Event]:
        return [event async for event in sub]

    return await asyncio.wait_for(collect(), timeout=10)


async def test_leaving_closes_the_session(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = play_screen(app).session
        sub = session.events()
        await pilot.press("ctrl+l")
        await settle(pilot, rounds=1)
        assert isinstance(app.screen, PickerScreen)
        assert all(isinstance(e, Paused) for e in await _rest(sub))


async def test_quitting_closes_the_session(make_app: AppFactory) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = play_screen(app).session
        sub = session.events()
        await pilot.press("ctrl+q")
    assert all(isinstance(e, Paused) for e in await _rest(sub))
    assert session.closed  # quitting closed the session: its clock stopped with it
