"""Buttons that wrap onto new rows when the width runs out (Textual has no wrapping layout).

``flow_rows`` is the pure part: greedy line filling. ``ButtonFlow`` is a vertical stack of
horizontal rows that re-flows only when the assignment of buttons to rows changes (a resize, a
different set of buttons, a label that grew), so a label ticking "3s", "2s", "1s" costs no layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

GAP = 1  # columns between two buttons on a row


def flow_rows(widths: Sequence[int], available: int, gap: int = GAP) -> list[list[int]]:
    """Indices of the items on each row, filling rows left to right.

    An item wider than a whole row gets a row of its own (it is then cut, the only case where it is).
    """
    rows: list[list[int]] = []
    used = 0
    for i, width in enumerate(widths):
        if rows and used + gap + width <= available:
            rows[-1].append(i)
            used += gap + width
        else:
            rows.append([i])
            used = width
    return rows


def button_width(label: Text | str) -> int:
    """The columns a compact button needs for ``label``: the label plus one column each side."""
    return (label.cell_len if isinstance(label, Text) else Text(label).cell_len) + 2


class FlowButton(Button):
    """A compact button that re-measures when its label changes (Textual's Button keeps its first
    width, so a longer label would be cut with "…" and a shorter one leave a gap)."""

    def __init__(self, label: Text | str, *, id: str | None = None) -> None:
        super().__init__(label, id=id, compact=True)

    def watch_label(self) -> None:
        self.refresh(layout=True)


class ButtonFlow(Vertical):
    """Rows of ``FlowButton``s; subclasses say what the buttons are (``flow_items``)."""

    DEFAULT_CSS = """
    ButtonFlow { height: auto; }
    ButtonFlow > .flow-row { height: auto; width: 100%; }
    ButtonFlow > .flow-row > FlowButton { margin-right: 1; width: auto; min-width: 0; max-width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[list[str]] = []
        self._rebuilding = False

    def compose(self) -> ComposeResult:
        yield from ()

    # --- what subclasses provide ------------------------------------------------------------
    def flow_items(self) -> list[tuple[str, Text]]:
        """``(button id, label)`` in order."""
        raise NotImplementedError

    def paint(self, button: FlowButton, button_id: str) -> None:
        """Bring one button up to date (label, disabled, tooltip)."""

    # --- layout -------------------------------------------------------------------------------
    def available_width(self) -> int:
        width = self.content_region.width or self.size.width
        if width <= 0 and self.is_attached:  # before the first layout: the screen's width, less padding
            width = self.app.size.width - self.styles.gutter.width
        return max(width, 1)

    def reflow(self) -> None:
        """Re-assign buttons to rows if they no longer fit as they are; otherwise repaint in place."""
        items = self.flow_items()
        rows = flow_rows([button_width(label) for _, label in items], self.available_width())
        wanted = [[items[i][0] for i in row] for row in rows]
        if wanted != self._rows:
            self._rows = wanted
            if not self._rebuilding:
                self._rebuilding = True
                self.call_later(self._rebuild)
            return
        if not self._rebuilding:
            for button in self.query(FlowButton):
                self.paint(button, button.id or "")

    async def _rebuild(self) -> None:
        """Replace the rows (removed first: the new buttons reuse the old ids)."""
        try:
            while True:
                rows = self._rows
                focused = self.app.focused
                refocus = focused.id if isinstance(focused, FlowButton) and focused in self.query(FlowButton) else None
                await self.remove_children(".flow-row")
                labels = dict(self.flow_items())
                new_rows = []
                for row in rows:
                    buttons = [FlowButton(labels[b], id=b) for b in row if b in labels]
                    for button in buttons:
                        self.paint(button, button.id or "")
                    new_rows.append(Horizontal(*buttons, classes="flow-row"))
                await self.mount_all(new_rows)
                if refocus is not None:
                    self._refocus(refocus)
                if rows == self._rows:
                    break
        finally:
            self._rebuilding = False
        for button in self.query(FlowButton):
            self.paint(button, button.id or "")

    def _refocus(self, button_id: str) -> None:
        for button in self.query(FlowButton):
            if button.id == button_id:
                button.focus()

    def on_resize(self, event: events.Resize) -> None:
        if self._rows:
            self.reflow()

    def row_ids(self) -> list[list[str]]:
        """The button ids on each row, as laid out now."""
        return [list(row) for row in self._rows]
