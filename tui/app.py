"""The Textual app: bindings, themes and screens around an injected Engine. Nothing else."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from digital_actors import events as ev
from digital_actors.engine import READING_PACE, Engine, SessionRequest
from digital_actors.errors import DigitalActorsError, VoiceError
from digital_actors.voice.pipeline import AudioSink
from tui.providers import AskName, BestResults, Player, Preferences, ProfileProvider
from tui.screens.error import ErrorDialog
from tui.screens.help import HelpScreen
from tui.screens.picker import PickerScreen
from tui.screens.play import PlayScreen
from tui.screens.profile import ProfileScreen
from tui.screens.settings import SettingsScreen
from tui.screens.welcome import WelcomeScreen
from tui.theme import DARK, LIGHT

STYLES = Path(__file__).parent / "styles"


class DigitalActorsApp(App[int]):
    """The terminal game. Give it an Engine; optionally a scene to start with and memory providers."""

    TITLE = "Digital Actors"
    CSS_PATH: ClassVar[list[str | PurePath]] = [STYLES / f"{n}.tcss" for n in ("app", "picker", "play", "dialogs")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "profile", "Profile", show=False),
        Binding("f7", "settings", "Settings", show=False),
        Binding("f8", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, engine: Engine, *, start: SessionRequest | None = None,
                 best_results: BestResults | None = None, profile: ProfileProvider | None = None,
                 player: str | None = None, pace: float = READING_PACE, preferences: Preferences | None = None,
                 audio: AudioSink | None = None, watch_interval: float | None = 0.5,
                 player_id: str | None = None, notices: tuple[str, ...] = (), ask_name: AskName | None = None) -> None:
        super().__init__()
        self.ask_name = ask_name  # the first run: the welcome screen asks who is playing
        self.player_id = player_id  # the memory profile sessions are recorded for (None: memory off)
        self.startup_notices = notices
        self.engine = engine
        self.start_request = start
        self.best_results = best_results
        self.profile = profile
        self.player = player
        self.pace = pace
        s = engine.settings
        self.preferences = preferences or Preferences(voice=s.voice, suggestions=s.suggestions)
        self.audio = audio
        self.watch_interval = watch_interval
        self.performer: str | None = None
        self.voice_notes: list[str] = []

    def on_mount(self) -> None:
        self.register_theme(DARK)
        self.register_theme(LIGHT)
        self.theme = DARK.name if self.preferences.dark else LIGHT.name
        self.push_screen(PickerScreen())
        if self.ask_name is not None:
            self.push_screen(WelcomeScreen(), self._answered)
        elif self.start_request is not None:
            self.push_screen(PlayScreen(self.start_request))
        for notice in self.startup_notices:
            self.notify(notice, severity="warning", timeout=12)

    def _answered(self, name: str | None) -> None:
        self.named(name)

    @work(exclusive=True, group="player")
    async def named(self, name: str | None) -> None:
        """The welcome screen's answer: make (or skip) the profile, then open the scene asked for."""
        assert self.ask_name is not None
        try:
            self.use_player(await self.ask_name(name))
        except DigitalActorsError as e:
            self.notify(f"{e.message} {e.hint or ''}".strip(), severity="warning", markup=False)
            if name is not None:  # an unusable name: play unnamed rather than not at all
                self.use_player(await self.ask_name(None))
        self.ask_name = None
        if self.start_request is not None:
            self.push_screen(PlayScreen(self.start_request))
        elif isinstance(self.screen, PickerScreen) and self.screen.ready:
            self.screen.load_scenes()  # best results now come from this player's memory

    def use_player(self, player: Player) -> None:
        self.player_id, self.player = player.player_id, player.name
        self.profile = player.profile or self.profile
        self.best_results = player.best_results or self.best_results

    def on_picker_screen_chosen(self, event: PickerScreen.Chosen) -> None:
        seed = self.start_request.seed if self.start_request else None
        request = SessionRequest(scene=event.ref.id, pace=self.pace, seed=seed)
        self.push_screen(PlayScreen(request, scene=event.ref.scene))

    # --- dialogs ------------------------------------------------------------------------------
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        playing = next((s for s in reversed(self.screen_stack) if isinstance(s, PlayScreen)), None)
        if playing is None:
            self.push_screen(HelpScreen())
            return
        view = playing.renderer.view
        self.push_screen(HelpScreen(view.controls, scene=view.title))

    def action_profile(self) -> None:
        if not isinstance(self.screen, ProfileScreen):
            self.push_screen(ProfileScreen(self.profile, player=self.player))

    def action_settings(self) -> None:
        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen(self.preferences, self.engine.settings, performer=self.performer,
                                            voice_notes=self.voice_notes, voice=self.engine.voice_status),
                             self.apply_preferences)

    def apply_preferences(self, prefs: Preferences | None) -> None:
        if prefs is None:
            return
        self.preferences = prefs
        self.theme = DARK.name if prefs.dark else LIGHT.name
        if not prefs.voice:
            self.cut_audio()
        for screen in self.screen_stack:
            session = getattr(screen, "session", None)
            if isinstance(screen, PlayScreen) and session is not None:
                session.voice_on = prefs.voice  # no synthesis (and no cost) while the voice is off
        for screen in self.screen_stack:
            if isinstance(screen, PlayScreen) and not prefs.suggestions:
                screen.query_one("#suggestions").display = False

    def show_error(self, error: DigitalActorsError, title: str = "Something went wrong") -> None:
        self.push_screen(ErrorDialog(error, title=title))

    # --- audio --------------------------------------------------------------------------------
    def cut_audio(self) -> None:
        """Silence what is still queued (an interruption, the player speaking, voice switched off)."""
        if self.audio is not None:
            self.audio.stop()

    def play_audio(self, event: ev.AudioChunk | ev.AudioFinished) -> None:
        """The one terminal player (voice/playback.py, shared with the line mode) plays the chunk;
        no device means one notice, then text only."""
        if isinstance(event, ev.AudioFinished) and event.interrupted:
            self.cut_audio()
            return
        if self.audio is None or not self.preferences.voice or not isinstance(event, ev.AudioChunk):
            return
        self.audio.volume = self.preferences.volume
        try:
            self.audio.write(event.pcm, event.sample_rate)
        except VoiceError as failed:
            self.audio = None
            if failed.message not in self.voice_notes:
                self.voice_notes.append(failed.message)
                self.notify(f"{failed.message} {failed.hint or ''}".strip(), severity="warning", markup=False)

    async def on_unmount(self) -> None:
        if self.audio is not None:
            self.audio.close()
