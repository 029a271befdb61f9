"""The scene's controls as buttons with their number keys; unavailable ones say why."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Button, Static

from digital_actors.events import ControlView
from digital_actors.view import control_state
from tui.widgets.flow import ButtonFlow, FlowButton


def short_reason(view: ControlView) -> str:
    """A few words that fit on the button; the full reason is the tooltip."""
    match control_state(view):
        case "ready":
            return f"×{view.uses_left}" if view.uses_left is not None else ""
        case "cooling":
            return f"{view.cooldown_left:.0f}s"
        case "used_up":
            return "used up"
        case "over":
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


class ControlBar(ButtonFlow):
    """One button per control, wrapped onto as many rows as the width needs (every control stays
    on screen: a control that unlocks mid-scene must be seen when the actor says "key five")."""

    @dataclass
    class Pressed(Message):
        """The player clicked (or keyed) a control."""

        control_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views: dict[str, ControlView] = {}

    def compose(self) -> ComposeResult:
        yield Static("no controls in this scene", id="no-controls")

    def flow_items(self) -> list[tuple[str, Text]]:
        return [(f"control-{v.id}", button_label(v)) for v in self.views.values()]

    def set_controls(self, views: tuple[ControlView, ...]) -> None:
        self.views = {v.id: v for v in views}
        self.query_one("#no-controls").display = not views
        self.reflow()

    def paint(self, button: FlowButton, button_id: str) -> None:
        view = self.views.get(button_id.removeprefix("control-"))
        if view is None:
            return
        button.label = button_label(view)
        button.disabled = not view.available
        button.tooltip = view.reason or f"press {view.key or view.label}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("control-"):
            self.post_message(self.Pressed(event.button.id.removeprefix("control-")))
