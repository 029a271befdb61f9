"""Game over: the ending's title and epilogue, a few stats, retry or back."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from digital_actors.events import GameOver
from tui.widgets.card import DialogCard

Choice = Literal["retry", "back"]


def stats_text(rows: list[tuple[str, str]]) -> str:
    """The shared view's end-of-scene rows on one line (control labels, never ids)."""
    return " · ".join(f"{label}: {value}" for label, value in rows)


class GameOverScreen(ModalScreen[Choice]):
    """Dismisses with "retry" or "back"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('retry')", "Retry"),
        Binding("escape,b", "choose('back')", "Back"),
    ]

    def __init__(self, over: GameOver, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.over, self.rows = over, rows

    def compose(self) -> ComposeResult:
        o = self.over
        with DialogCard(id="dialog", classes=f"dialog -{o.kind}"):
            with Vertical(classes="dialog-body"):
                yield Static("SUCCESS" if o.kind == "success" else "THE END", id="ending-kind")
                yield Static(Text(o.title), id="ending-title", classes="dialog-title")
                if o.epilogue:
                    yield Static(Text(o.epilogue), id="epilogue")
                if o.hint:  # after a failure: one authored hint for the next try
                    yield Static(Text(f"Hint: {o.hint}", style="italic"), id="hint")
                yield Static(Text(stats_text(self.rows)), id="stats")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Retry (R)", id="retry", variant="primary", compact=True)
                yield Button("Back to scenes (Esc)", id="back", compact=True)

    def on_mount(self) -> None:
        self.query_one("#retry", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("retry" if event.button.id == "retry" else "back")

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)
