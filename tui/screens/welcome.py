"""The first run: who is playing? Asked inside the game, skippable; a skipped name is never spoken."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from tui.screens.picker import TAGLINE, TITLE
from tui.widgets.card import DialogCard

MAX_NAME = 40  # the memory store keeps 1-40 printable characters
ABOUT = ("Characters here remember the people they meet: what you did, and what you told them. "
         "What should they call you?")
SKIP_NOTE = ("Enter to continue. Esc skips: they will not use a name until you tell them one. "
             "F6 shows what they remember; `--player NAME` plays as someone else.")


class WelcomeScreen(Screen[str | None]):
    """Dismisses with the name typed (trimmed), or None when skipped (Esc, Skip, or an empty name)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "skip", "Skip")]

    def compose(self) -> ComposeResult:
        with DialogCard(id="dialog", classes="dialog -wide"):
            with Vertical(classes="dialog-title"):
                yield Static(TITLE, id="welcome-title")
                yield Static(TAGLINE, id="welcome-tagline")
            with Vertical(classes="dialog-body"):
                yield Static(ABOUT, id="welcome-about")
                yield Input(placeholder="Your name", id="welcome-name", max_length=MAX_NAME)
                yield Static(SKIP_NOTE, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Continue (Enter)", id="continue", variant="primary", compact=True)
                yield Button("Skip (Esc)", id="skip", compact=True)

    def on_mount(self) -> None:
        self.query_one("#welcome-name", Input).focus()

    def answer(self) -> str | None:
        name = " ".join(self.query_one("#welcome-name", Input).value.split())
        return name or None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self.answer())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.answer() if event.button.id == "continue" else None)

    def action_skip(self) -> None:
        self.dismiss(None)
