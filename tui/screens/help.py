"""Every key: the scene's controls first (when a scene is playing), then the one table the screens
bind from (tui/keys.py). A Rich table that wraps, so all three columns show at any width."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from digital_actors.events import ControlView
from tui.keys import HELP, KeyHelp
from tui.widgets.card import DialogCard

THIS_SCENE = "this scene"


def control_rows(controls: tuple[ControlView, ...]) -> list[KeyHelp]:
    """One row per scene control: its key (digit, or Alt+digit while typing) and what it is now."""
    rows = []
    for c in controls:
        keys = f"{c.key} / Alt+{c.key}" if c.key else "click"
        state = "" if c.available else f" ({c.reason})" if c.reason else " (not now)"
        rows.append(KeyHelp(keys, f"{c.label}{state}", THIS_SCENE))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f8,q", "close", "Close")]

    def __init__(self, controls: tuple[ControlView, ...] = (), *, scene: str = "") -> None:
        super().__init__()
        self.controls, self.scene = controls, scene

    def rows(self) -> list[KeyHelp]:
        """What the table lists, in order."""
        return [*control_rows(self.controls), *HELP]

    def table(self) -> Table:
        table = Table(expand=True, box=None, show_edge=False, pad_edge=False, header_style="bold",
                      row_styles=["", "on " + self.app.theme_variables.get("panel", "default")])
        table.add_column("key", no_wrap=True, min_width=9, max_width=18, style="bold")
        table.add_column("does", ratio=1)
        table.add_column("where", no_wrap=True, min_width=10)
        for row in self.rows():
            table.add_row(Text(row.keys), Text(row.what), Text(row.where))
        return table

    def compose(self) -> ComposeResult:
        with DialogCard(id="dialog", classes="dialog -wide"):
            title = f"Keys — {self.scene}" if self.scene else "Keys"
            yield Static(Text(title), classes="dialog-title")
            yield Static("", id="keys", classes="dialog-body")
            yield Static("Mouse: click buttons, scenes and suggestions; scroll the transcript.", classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (Esc)", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#keys", Static).update(self.table())
        self.call_after_refresh(self._focus)

    def _focus(self) -> None:
        """The list when it scrolls (arrows and Page Up/Down), else the Close button."""
        card = self.query_one(DialogCard)
        (card if card.allow_focus() else self.query_one("#close", Button)).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        self.dismiss(None)
