"""A typed error dialog: what went wrong, each located problem, and what to do about it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from digital_actors.errors import DigitalActorsError, SceneError
from tui.widgets.card import DialogCard


class ErrorDialog(ModalScreen[None]):
    """Shows a DigitalActorsError (message, problems, hint) — never a traceback."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "dismiss_dialog", "Close")]

    def __init__(self, error: DigitalActorsError, *, title: str = "Something went wrong") -> None:
        super().__init__()
        self.error, self.heading = error, title

    def compose(self) -> ComposeResult:
        problems = self.error.problems if isinstance(self.error, SceneError) else []
        with DialogCard(id="dialog", classes="dialog -error"):
            yield Static(self.heading, classes="dialog-title")
            with Vertical(classes="dialog-body"):
                yield Static(Text(self.error.message), id="error-message")
                if problems:
                    yield Static(Text("\n".join(problems)), id="problems")
                if self.error.hint:
                    yield Static(Text("hint: " + self.error.hint), id="error-hint", classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
