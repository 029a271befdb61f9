"""The play screen: transcript, state panel, controls, suggestions, the player's input, the inspector.

The session lives in one exclusive worker that renders its events as they arrive; player input
goes through other workers (the session's lock keeps their order). Hot reload polls the scene
folder in a third worker and restarts the scene when a file changes and still loads.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import structlog
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from digital_actors import events as ev
from digital_actors.engine import SessionRequest
from digital_actors.errors import DigitalActorsError, SceneError
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session
from tui.metrics import RELOADS, SESSIONS
from tui.scene_reads import read_scenes
from tui.screens.error import ErrorDialog
from tui.screens.game_over import Choice, GameOverScreen
from tui.screens.play_events import EventRenderer
from tui.watcher import SceneWatcher
from tui.widgets.controls import ControlBar
from tui.widgets.inspector import Inspector
from tui.widgets.speech_input import SpeechInput
from tui.widgets.state_panel import StatePanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.suggestions import SuggestionBar
from tui.widgets.transcript import Transcript

log = structlog.get_logger()
DIGITS = "123456789"
NARROW = 110  # columns


class PlayScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "toggle_pause", "Pause"),
        Binding("f12", "toggle_inspector", "Inspector"),
        Binding("ctrl+l", "leave", "Leave"),
        Binding("f5", "restart", "Restart", show=False),
        Binding("f1", "suggest(0)", "Say 1", show=False),
        Binding("f2", "suggest(1)", "Say 2", show=False),
        Binding("f3", "suggest(2)", "Say 3", show=False),
        Binding("f4", "interrupt", "Interrupt", show=False),
        *[Binding(f"alt+{d}", f"press_key('{d}')", show=False) for d in DIGITS],
        *[Binding(d, f"press_key('{d}')", show=False) for d in DIGITS],
    ]

    def __init__(self, request: SessionRequest, *, scene: Scene | None = None) -> None:
        super().__init__()
        self.request, self.scene = request, scene
        self.session: Session | None = None
        self.over: ev.GameOver | None = None
        self.watcher: SceneWatcher | None = None
        self.renderer = EventRenderer(self)
        self._auto_paused = False

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="stage"):
            yield Transcript(id="transcript")
            yield StatePanel(id="state")
            yield Inspector(id="inspector")
        yield SuggestionBar(id="suggestions")
        yield ControlBar(id="controls")
        yield SpeechInput(id="speech")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Inspector).display = False
        self.query_one(SpeechInput).focus()
        self.run_session(self.scene)
        interval = self.app.watch_interval  # type: ignore[attr-defined]
        if interval:
            self.watch_scene(interval)

    # --- the session -----------------------------------------------------------------------
    @work(exclusive=True, group="session")
    async def run_session(self, scene: Scene | None) -> None:
        """Create and start a session, then render its events until it closes."""
        await self.close_session()
        app = self.app
        request = replace(self.request, suggestions=app.preferences.suggestions)  # type: ignore[attr-defined]
        try:
            if scene is None:  # reading and validating files: off the UI loop
                scene = await read_scenes(app.engine.load, request.scene)  # type: ignore[attr-defined]
            session = await app.engine.new_session(  # type: ignore[attr-defined]
                request, scene=scene, player_id=getattr(app, "player_id", None))
        except DigitalActorsError as e:
            await app.push_screen_wait(ErrorDialog(e, title="This scene cannot start"))
            if app.screen is self:
                app.pop_screen()
            return
        sub = session.events()
        self.session, self.scene, self.over = session, session.scene, None
        self.query_one(Inspector).attach(session)
        SESSIONS.inc()
        try:
            if session.scene.folder and self.watcher is None:
                self.watcher = await asyncio.to_thread(SceneWatcher, session.scene.folder)
            await session.start()
            async for event in sub:
                self.renderer.show(event)
        finally:
            await session.close()

    async def close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await session.close()

    async def on_unmount(self) -> None:
        await self.close_session()

    # --- input -------------------------------------------------------------------------------
    @on(SpeechInput.Submitted)
    def _submitted(self, event: SpeechInput.Submitted) -> None:
        text = event.value.strip()
        speech = self.query_one(SpeechInput)
        speech.value = ""
        if text:
            speech.remember(text)
            self.say(text)

    @work(group="input")
    async def say(self, text: str) -> None:
        if self.session is not None:
            self._resume_if_paused()
            await self.session.say(text)

    @work(group="input")
    async def press(self, control_id: str) -> None:
        if self.session is not None:
            self._resume_if_paused()
            await self.session.press(control_id)

    def _resume_if_paused(self) -> None:
        """Acting means playing: a paused clock starts again when the player speaks or presses."""
        if self.session is not None and self.session.paused:
            self.session.resume()

    @on(ControlBar.Pressed)
    def _control_clicked(self, event: ControlBar.Pressed) -> None:
        self.press(event.control_id)

    @on(SpeechInput.ControlKey)
    def _control_key(self, event: SpeechInput.ControlKey) -> None:
        self.action_press_key(event.key)

    @on(SuggestionBar.Chosen)
    def _suggestion_clicked(self, event: SuggestionBar.Chosen) -> None:
        self.say(event.text)

    def action_press_key(self, key: str) -> None:
        control = self.renderer.view.control_for_key(key)
        if control is not None:
            self.press(control.id)

    def action_suggest(self, index: int) -> None:
        text = self.query_one(SuggestionBar).pick(index)
        if text:
            self.say(text)

    @work(group="input")
    async def action_interrupt(self) -> None:
        if self.session is not None:
            await self.session.interrupt()

    @work(exclusive=True, group="restart")
    async def action_restart(self) -> None:
        if self.session is not None:
            self.over = None
            self.query_one(Transcript).divider("from the top")
            await self.session.restart()

    def action_toggle_pause(self) -> None:
        if self.session is None or self.over is not None:
            return
        if self.session.paused:
            self.session.resume()
        else:
            self.session.pause()

    def action_toggle_inspector(self) -> None:
        inspector = self.query_one(Inspector)
        inspector.display = not inspector.display
        if inspector.display:
            inspector.repaint()
        self._fit_panels()

    def on_resize(self) -> None:
        self._fit_panels()

    def _fit_panels(self) -> None:
        """Below 110 columns the inspector replaces the state panel (it shows every value anyway)."""
        if not self.is_mounted:
            return
        inspecting = self.query_one(Inspector).display
        self.query_one(StatePanel).display = not (inspecting and self.size.width < NARROW)

    def action_leave(self) -> None:
        self.app.pop_screen()

    # --- game over -------------------------------------------------------------------------------
    def game_over(self, over: ev.GameOver) -> None:
        self.over = over
        self.app.push_screen(GameOverScreen(over, self.renderer.view.stats()), self._after_game_over)

    def _after_game_over(self, choice: Choice | None) -> None:
        if choice == "retry":
            self.action_restart()
        else:
            self.action_leave()

    # --- pausing while another screen covers this one --------------------------------------------------
    def on_screen_suspend(self) -> None:
        s = self.session
        if s is not None and not s.paused and self.over is None:
            s.pause()
            self._auto_paused = True

    def on_screen_resume(self) -> None:
        if self._auto_paused and self.session is not None:
            self.session.resume()
        self._auto_paused = False
        self.query_one(SpeechInput).focus()

    # --- hot reload ----------------------------------------------------------------------------------
    @work(exclusive=True, group="watch")
    async def watch_scene(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.check_scene_files()

    async def check_scene_files(self) -> list[str]:
        """One poll of the scene folder; a change reloads the scene. Returns the changed names."""
        if self.watcher is None:
            return []
        changed = await asyncio.to_thread(self.watcher.changed)
        if changed:
            await self.reload_scene(changed)
        return changed

    async def reload_scene(self, changed: list[str]) -> None:
        assert self.scene is not None
        folder = self.scene.folder
        what = ", ".join(changed)
        try:
            scene = await read_scenes(self.app.engine.load, folder)  # type: ignore[attr-defined]
        except SceneError as e:
            RELOADS.labels(result="error").inc()
            problems = "\n".join(e.problems[:6]) or e.message
            more = f"\n… and {len(e.problems) - 6} more" if len(e.problems) > 6 else ""
            self.notify(f"{problems}{more}\nThe scene keeps running; save again to retry.",
                        title=f"{what}: not reloaded", severity="error", timeout=15, markup=False)
            self.query_one(Inspector).reload_note(f"{what}: {len(e.problems) or 1} problem(s), kept running")
            log.info("tui_reload_failed", scene=self.scene.id, problems=len(e.problems))
            return
        RELOADS.labels(result="ok").inc()
        self.query_one(Transcript).divider(f"reloaded ({what})")
        self.query_one(Inspector).reload_note(f"{what}: reloaded, scene restarted")
        self.notify(f"{what} changed: the scene restarted from the top.", title="Scene reloaded", markup=False)
        self.request = replace(self.request, scene=str(Path(folder)))
        self.run_session(scene)
