"""Up to three replies the player could send, each on F1-F3 or a click."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Button

from tui.widgets.flow import ButtonFlow, FlowButton

SLOTS = 3


def suggestion_label(index: int, text: str) -> Text:
    return Text.assemble((f"F{index + 1} ", "bold"), text)


class SuggestionBar(ButtonFlow):
    """Hidden when there is nothing to suggest (or suggestions are off); wraps like the controls,
    so a suggestion is cut ("…") only when it is wider than the whole row."""

    @dataclass
    class Chosen(Message):
        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: tuple[str, ...] = ()

    def on_mount(self) -> None:
        self.show_items(())

    def flow_items(self) -> list[tuple[str, Text]]:
        return [(f"suggestion-{i}", suggestion_label(i, text)) for i, text in enumerate(self.items)]

    def show_items(self, items: tuple[str, ...]) -> None:
        self.items = tuple(items[:SLOTS])
        self.display = bool(self.items)
        self.reflow()

    def paint(self, button: FlowButton, button_id: str) -> None:
        index = int(button_id.rsplit("-", 1)[1])
        if index < len(self.items):
            button.label = suggestion_label(index, self.items[index])

    def pick(self, index: int) -> str | None:
        return self.items[index] if 0 <= index < len(self.items) else None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "suggestion-0").rsplit("-", 1)[1])
        text = self.pick(index)
        if text:
            self.post_message(self.Chosen(text))
