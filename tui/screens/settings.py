"""Settings: voice on/off, volume, suggestions on/off, theme; and who performs and voices, and why."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, Switch

from digital_actors.config import Settings
from tui.providers import Preferences
from tui.widgets.card import DialogCard

VOLUME_STEP = 0.1
SWITCHES = (("voice", "Voice"), ("suggestions", "Suggestions"), ("dark", "Dark theme"))


def on_off(value: bool) -> str:
    return "on" if value else "off"


def voice_status(settings: Settings, prefs: Preferences, engine_status: str | None = None) -> str:
    """Which voice speaks, and why: the engine's own answer when given (the engine's notices add details)."""
    if not prefs.voice:
        return "off (you turned it off)"
    if not settings.voice:
        return "off (VOICE=false)"
    if engine_status:
        return engine_status
    if settings.elevenlabs_api_key is not None and settings.elevenlabs_api_key.get_secret_value():
        return f"ElevenLabs {settings.elevenlabs_model} (ELEVENLABS_API_KEY is set)"
    return "text only: no voice configured (set ELEVENLABS_API_KEY, or install the local-voice extra)"


class SettingsScreen(ModalScreen[Preferences | None]):
    """Dismisses with the new preferences (or None when cancelled with Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("left,minus", "volume(-1)", "Volume −", show=False),
        Binding("right,plus,equals_sign", "volume(1)", "Volume +", show=False),
    ]

    def __init__(self, prefs: Preferences, settings: Settings, *, performer: str | None,
                 voice_notes: list[str], voice: str | None = None) -> None:
        super().__init__()
        self.prefs = replace(prefs)
        self.settings, self.performer, self.voice_notes = settings, performer, voice_notes
        self.voice = voice  # the engine's own account of which voice speaks

    def compose(self) -> ComposeResult:
        with DialogCard(id="dialog", classes="dialog -wide"):
            yield Static("Settings", classes="dialog-title")
            with Vertical(classes="dialog-body"):
                for key, label in SWITCHES:
                    with Horizontal(classes="setting-row"):
                        yield Label(label, classes="setting-label")
                        yield Switch(getattr(self.prefs, key), id=f"set-{key}")
                        yield Static(on_off(getattr(self.prefs, key)), id=f"state-{key}", classes="setting-state")
                with Horizontal(classes="setting-row"):
                    yield Label("Volume", classes="setting-label")
                    yield Button("-", id="volume-down", compact=True, tooltip="quieter (Left or -)")
                    yield Static(self._volume_bar(), id="volume")
                    yield Button("+", id="volume-up", compact=True, tooltip="louder (Right or +)")
                performer = self.performer or "chosen when a scene starts"
                yield Static(Text(f"Performer: {performer}"), id="performer", classes="setting-info")
                notes = "".join(f"\n  {n}" for n in self.voice_notes[-3:])
                yield Static(Text(f"Voice: {voice_status(self.settings, self.prefs, self.voice)}{notes}"),
                             id="voice-info", classes="setting-info")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (Ctrl+S)", id="save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#set-voice", Switch).focus()

    def _volume_bar(self) -> Text:
        filled = round(self.prefs.volume * 10)
        return Text.assemble(("█" * filled), ("░" * (10 - filled), "dim"), f" {self.prefs.volume_text()}")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        key = (event.switch.id or "").removeprefix("set-")
        setattr(self.prefs, key, event.value)
        self.query_one(f"#state-{key}", Static).update(on_off(event.value))
        if key == "voice":
            status = voice_status(self.settings, self.prefs, self.voice)
            self.query_one("#voice-info", Static).update(Text(f"Voice: {status}"))

    def action_volume(self, step: int) -> None:
        self.prefs.volume = round(min(max(self.prefs.volume + step * VOLUME_STEP, 0.0), 1.0), 2)
        self.query_one("#volume", Static).update(self._volume_bar())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        match event.button.id:
            case "volume-down":
                self.action_volume(-1)
            case "volume-up":
                self.action_volume(1)
            case "save":
                self.action_save()
            case _:
                self.action_cancel()

    def action_save(self) -> None:
        self.dismiss(self.prefs)

    def action_cancel(self) -> None:
        self.dismiss(None)
