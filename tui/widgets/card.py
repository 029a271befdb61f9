"""A dialog's card: its title docked at the top, its buttons at the bottom, the rest scrolls.

On an 80×24 terminal a long dialog (the keys, a list of scene problems) scrolls instead of
pushing its buttons off the screen. The card is a Tab stop only while it has something to
scroll, so Tab never lands on an invisible stop.
"""

from __future__ import annotations

from textual.containers import VerticalScroll


class DialogCard(VerticalScroll):
    def allow_focus(self) -> bool:
        return self.allow_vertical_scroll
