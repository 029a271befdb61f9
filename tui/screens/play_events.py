"""Engine events → play-screen widgets. One place that knows how each event looks on screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from digital_actors import events as ev
from digital_actors.view import PlayerView, ViewReducer
from tui.widgets.controls import ControlBar
from tui.widgets.inspector import Inspector
from tui.widgets.speech_input import SpeechInput
from tui.widgets.state_panel import StatePanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.suggestions import SuggestionBar
from tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from tui.screens.play import PlayScreen


SEVERITY = {"info": "information", "warning": "warning", "error": "error"}


class EventRenderer:
    """Renders each event with targeted updates: nothing is recomposed per event."""

    def __init__(self, screen: PlayScreen) -> None:
        self.screen = screen
        self.reducer = ViewReducer()
        self._names: dict[str, str] = {}

    @property
    def view(self) -> PlayerView:
        """What the player sees (the view every front end shares): keys, countdown, stats."""
        return self.reducer.view

    def show(self, event: ev.Event) -> None:
        s = self.screen
        self.reducer.feed(event)
        transcript = s.query_one(Transcript)
        inspector = s.query_one(Inspector)
        inspector.record(event)
        match event:
            case ev.LineDelta(text=text):
                transcript.delta(text)
            case ev.LineStarted(speaker=speaker, speaker_name=name):
                self._names[speaker] = name
                transcript.begin(speaker, name)
                s.query_one(StatusBar).set_speaking(name)
            case ev.LineFinished(speaker=speaker, text=text, interrupted=cut):
                transcript.finish(speaker, self._names.get(speaker, speaker), text, interrupted=cut)
                s.query_one(StatusBar).set_speaking(None)
            case ev.StateChanged(gauges=gauges):
                panel = s.query_one(StatePanel)
                panel.set_gauges(gauges)
                panel.set_countdown(self.view.countdown, urgent=self.view.urgent)
                inspector.mark()
            case ev.ControlsChanged(controls=controls):
                s.query_one(ControlBar).set_controls(controls)
            case ev.PlayerSaid(text=text):
                transcript.player(text)
                s.query_one(SuggestionBar).show_items(())
                s.app.cut_audio()  # type: ignore[attr-defined]  # the player speaks: the actor falls silent
            case ev.Narration(text=text, kind=kind):
                transcript.narrate(text, kind)
            case ev.Suggestions(items=items):
                if s.app.preferences.suggestions:  # type: ignore[attr-defined]
                    s.query_one(SuggestionBar).show_items(items)
            case ev.PhaseChanged(title=title):
                s.query_one(StatePanel).set_phase(title)
                transcript.divider(title)
            case ev.SceneStarted():
                self.started(event)
            case ev.Paused(paused=paused):
                s.query_one(StatusBar).set_paused(paused)
                transcript.set_class(paused, "-paused")
            case ev.GameOver():
                s.query_one(StatusBar).set_speaking(None)
                transcript.narrate(f"— {event.title} —", "ending")
                s.game_over(event)
            case ev.TurnFailed(message=message, hint=hint):
                transcript.problem(message)
                s.notify(message + (f"\nhint: {hint}" if hint else ""), severity="warning", markup=False)
            case ev.Notice(message=message, level=level):
                if "voice" in message.lower() or "audio" in message.lower():
                    s.app.voice_notes.append(message)  # type: ignore[attr-defined]
                s.notify(message, severity=SEVERITY[level], markup=False)  # type: ignore[arg-type]
            case ev.AudioChunk() | ev.AudioFinished():
                s.app.play_audio(event)  # type: ignore[attr-defined]

    def started(self, event: ev.SceneStarted) -> None:
        s = self.screen
        scene = s.session.scene if s.session is not None else None
        cast = [(c.id, scene.cast[c.id].colour if scene and c.id in scene.cast else None) for c in event.cast]
        transcript = s.query_one(Transcript)
        transcript.set_cast(cast)
        self._names = {c.id: c.name for c in event.cast}
        s.app.performer = event.performer  # type: ignore[attr-defined]
        s.query_one(StatusBar).set_title(event.title)
        panel = s.query_one(StatePanel)
        panel.set_phase(event.phase_title)
        panel.set_gauges(event.gauges)
        panel.set_countdown(self.view.countdown, urgent=self.view.urgent)
        s.query_one(ControlBar).set_controls(event.controls)
        s.query_one(SpeechInput).control_keys = {c.key for c in event.controls if c.key}
        s.query_one(SuggestionBar).show_items(())
        s.query_one(StatusBar).set_paused(False)
        transcript.divider(event.title)
        if event.tagline:
            transcript.write(Text(event.tagline, style="italic", justify="center"))
        transcript.narrate(f"You are {event.player_role}.", "system")
