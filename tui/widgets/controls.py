"""The scene's controls as buttons with their number keys; unavailable ones say why."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from digital_actors.events import ControlView


def short_reason(view: ControlView) -> str:
    """A few words that fit on the button; the full reason is the tooltip."""
    if view.available:
        return f"×{view.uses_left}" if view.uses_left is not None else ""
    if view.cooldown_left > 0:
        return f"{view.cooldown_left:.0f}s"
    if view.uses_left is not None and view.uses_left <= 0:
        return "used up"
    if view.reason == "the scene is over":
        return "over"
    return "locked"


def button_label(view: ControlView) -> Text:
    label = Text()
    if view.key:
        label.append(f"{view.key} ", "bold")
    label.append(view.label)
    extra = short_reason(view)
    if extra:
        label.append(f" {extra}", "italic")
    return label


class ControlBar(Horizontal):
    """One button per control, rebuilt only when the set of controls changes."""

    @dataclass
    class Pressed(Message):
        """The player clicked (or keyed) a control."""

        control_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views: dict[str, ControlView] = {}

    def compose(self) -> ComposeResult:
        yield Static("no controls in this scene", id="no-controls")

    def set_controls(self, views: tuple[ControlView, ...]) -> None:
        ids = [v.id for v in views]
        if ids != list(self.views):
            self.remove_children(Button)
            self.query_one("#no-controls").display = not views
            self.mount_all([Button(button_label(v), id=f"control-{v.id}", compact=True) for v in views])
        self.views = {v.id: v for v in views}
        for view in views:
            self._paint(view)

    def _paint(self, view: ControlView) -> None:
        try:
            button = self.query_one(f"#control-{view.id}", Button)
        except Exception:  # mounting is asynchronous; the next update paints it
            return
        button.label = button_label(view)
        button.disabled = not view.available
        button.tooltip = view.reason or f"press {view.key or view.label}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("control-"):
            self.post_message(self.Pressed(event.button.id.removeprefix("control-")))
