"""The player's profile: what the characters remember about them, and forgetting it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from digital_actors.errors import DigitalActorsError
from tui.providers import ProfileProvider
from tui.screens.confirm import ConfirmDialog
from tui.widgets.card import DialogCard

NOT_AVAILABLE = "Memory is not available here: the characters will not remember you between scenes."


class ProfileScreen(ModalScreen[None]):
    """Lists remembered notes; Delete/F forgets the selected one, Forget all clears everything."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f6", "close", "Close"),
        Binding("delete,f", "forget_selected", "Forget selected"),
    ]

    def __init__(self, provider: ProfileProvider | None, *, player: str | None = None) -> None:
        super().__init__()
        self.provider, self.player = provider, player
        self.rows: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with DialogCard(id="dialog", classes="dialog -wide"):
            who = f" — {self.player}" if self.player else ""
            yield Static(Text(f"What they remember about you{who}"), classes="dialog-title")
            with Vertical(classes="dialog-body"):
                yield Static("", id="profile-status")
                table: DataTable[str] = DataTable(id="memories", cursor_type="row", zebra_stripes=True)
                table.add_columns("who", "remembers")
                yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button("Forget selected", id="forget-one", variant="warning", compact=True)
                yield Button("Forget everything", id="forget-all", variant="error", compact=True)
                yield Button("Close", id="close", compact=True)

    def on_mount(self) -> None:
        if self.provider is None:
            self._status(NOT_AVAILABLE)
            self.query_one("#memories").display = False
            self.query_one("#forget-one", Button).disabled = True
            self.query_one("#forget-all", Button).disabled = True
            return
        self._status("Loading…")
        self.load()

    def _status(self, text: str) -> None:
        self.query_one("#profile-status", Static).update(Text(text))

    @work(exclusive=True, group="profile")
    async def load(self) -> None:
        assert self.provider is not None
        try:
            self.rows = await self.provider.memories()
        except DigitalActorsError as e:
            self._status(f"{e.message}" + (f" (hint: {e.hint})" if e.hint else ""))
            return
        table = self.query_one("#memories", DataTable)
        table.clear()
        for memory_id, character, text in self.rows:
            table.add_row(Text(character), Text(text), key=memory_id)
        self._status("They remember nothing about you yet." if not self.rows
                     else f"{len(self.rows)} thing(s) remembered. Select one and press Delete to forget it.")
        self.query_one("#forget-one", Button).disabled = not self.rows
        self.query_one("#forget-all", Button).disabled = not self.rows
        if self.rows:
            table.focus()

    @work(exclusive=True, group="profile")
    async def forget(self, memory_id: str | None) -> None:
        assert self.provider is not None
        try:
            await self.provider.forget(memory_id)
        except DigitalActorsError as e:
            self.notify(e.message + (f"\nhint: {e.hint}" if e.hint else ""), severity="error", markup=False)
            return
        self.notify("Forgotten." if memory_id else "Everything forgotten.", markup=False)
        self.load()

    def selected_id(self) -> str | None:
        table = self.query_one("#memories", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row][0]

    def action_forget_selected(self) -> None:
        memory_id = self.selected_id()
        if self.provider is not None and memory_id is not None:
            self.forget(memory_id)

    def _confirmed_forget_all(self, yes: bool | None) -> None:
        if yes:
            self.forget(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "forget-one":
            self.action_forget_selected()
        elif event.button.id == "forget-all" and self.provider is not None:
            self.app.push_screen(ConfirmDialog("Forget everything the characters remember about you?",
                                               yes="Forget everything"), self._confirmed_forget_all)
        else:
            self.action_close()

    def action_close(self) -> None:
        self.dismiss(None)
