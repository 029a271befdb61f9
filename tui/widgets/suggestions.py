"""Up to three replies the player could send, each on F1-F3 or a click."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button

SLOTS = 3


class SuggestionBar(Horizontal):
    """Hidden when there is nothing to suggest (or suggestions are off)."""

    @dataclass
    class Chosen(Message):
        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        for i in range(SLOTS):
            yield Button("", id=f"suggestion-{i}", compact=True)

    def on_mount(self) -> None:
        self.show_items(())

    def show_items(self, items: tuple[str, ...]) -> None:
        self.items = tuple(items[:SLOTS])
        self.display = bool(self.items)
        for i, button in enumerate(self.query(Button)):
            if i < len(self.items):
                button.label = Text.assemble((f"F{i + 1} ", "bold"), self.items[i])
                button.display = True
            else:
                button.display = False

    def pick(self, index: int) -> str | None:
        return self.items[index] if 0 <= index < len(self.items) else None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "suggestion-0").rsplit("-", 1)[1])
        text = self.pick(index)
        if text:
            self.post_message(self.Chosen(text))
