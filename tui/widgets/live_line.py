"""The line being spoken: repainted per frame without a layout pass unless it wraps onto a new row."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

MAX_ROWS = 8


class LiveLine(Widget):
    """Holds one Rich Text; ``show`` repaints it, and re-lays out only when its height changes.

    It keeps at least one row when empty, so a typical one-row line costs no layout at all.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._rows = 0

    def show(self, text: Text | None) -> None:
        self._text = text or Text()
        rows = 1 if text is None else self._rows_for(text)
        if rows != self._rows:
            self._rows = rows
            self.styles.height = rows  # a layout pass only when the line wraps onto another row
        self.refresh()

    def _rows_for(self, text: Text) -> int:
        width = max(self.content_region.width or self.size.width, 10)
        return min(max(len(text.wrap(self.app.console, width)), 1), MAX_ROWS)

    def render(self) -> Text:
        return self._text
