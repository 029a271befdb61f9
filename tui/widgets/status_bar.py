"""The top line of the play screen: scene title, who is speaking, and whether the clock is paused."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class StatusBar(Horizontal):
    """Attributes down: the play screen sets the title, speaker and paused state."""

    def compose(self) -> ComposeResult:
        yield Static("", id="scene-title")
        yield Static("", id="speaking")
        yield Static("", id="paused")

    def on_mount(self) -> None:
        self.set_speaking(None)
        self.set_paused(False)

    def set_title(self, title: str) -> None:
        self.query_one("#scene-title", Static).update(title)

    def set_speaking(self, name: str | None) -> None:
        """Fixed width and no layout pass: this changes twice per line."""
        self.query_one("#speaking", Static).update(f"● {name} speaking" if name else "", layout=False)

    def set_paused(self, paused: bool) -> None:
        badge = self.query_one("#paused", Static)
        badge.display = paused
        badge.update("PAUSED · Esc resumes")  # no pause glyph: common terminal fonts lack it
