"""The player's line: an Input with history (Up/Down) that turns a lone digit into a control press."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

HISTORY_LIMIT = 200


class SpeechInput(Input):
    """Digits press controls only while the input is empty, so numbers in speech type normally."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    @dataclass
    class ControlKey(Message):
        key: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Say something… (Enter to speak)", id=id, max_length=500)
        self.history: list[str] = []
        self._cursor = 0
        self._draft = ""
        self.control_keys: set[str] = set()

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
            del self.history[:-HISTORY_LIMIT]
        self._cursor = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._cursor == len(self.history):
            self._draft = self.value
        self._cursor = min(max(self._cursor + step, 0), len(self.history))
        self.value = self.history[self._cursor] if self._cursor < len(self.history) else self._draft
        self.cursor_position = len(self.value)

    async def _on_key(self, event: events.Key) -> None:
        if not self.value and event.character and event.character in self.control_keys:
            event.stop()
            event.prevent_default()
            self.post_message(self.ControlKey(event.character))
            return
        await super()._on_key(event)
