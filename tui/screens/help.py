"""Every key binding, from the one table the screens bind from (tui/keys.py)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.keys import HELP


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f8,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -wide"):
            yield Static("Keys", classes="dialog-title")
            table: DataTable[str] = DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            table.add_columns("key", "does", "where")
            for row in HELP:
                table.add_row(row.keys, row.what, row.where)
            yield table
            yield Static("Mouse: click buttons, scenes and suggestions; scroll the transcript.", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
