"""One state gauge: label, bar and number, coloured by the scene's danger threshold."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from digital_actors.events import GaugeView


def number(view: GaugeView) -> str:
    value = f"{view.value:.0f}" if abs(view.value - round(view.value)) < 0.05 or abs(view.value) >= 10 \
        else f"{view.value:.1f}"
    return f"{value}{view.unit}"


class Gauge(Widget):
    """A gauge (bar) or a plain number, depending on the variable's ``show``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "gauge--label", "gauge--ok", "gauge--warning", "gauge--danger", "gauge--empty"}
    DEFAULT_CSS = """
    Gauge { height: 2; }
    Gauge.-number { height: 1; }
    Gauge > .gauge--label { text-style: bold; }
    Gauge > .gauge--ok { color: $success; }
    Gauge > .gauge--warning { color: $warning; }
    Gauge > .gauge--danger { color: $error; text-style: bold; }
    Gauge > .gauge--empty { color: $foreground 25%; }
    """

    def __init__(self, view: GaugeView) -> None:
        super().__init__(id=f"gauge-{view.id}")
        self.view = view
        self.set_class(view.show == "number", "-number")
        self.set_class(view.level == "danger", "-danger")

    def show_view(self, view: GaugeView) -> None:
        if view != self.view:
            self.view = view
            self.set_class(view.level == "danger", "-danger")
            self.refresh()

    def render(self) -> Text:
        v = self.view
        state = v.level
        label_style = self.get_component_rich_style("gauge--label", partial=True)
        value_style = self.get_component_rich_style(f"gauge--{state}", partial=True)
        width = max(self.size.width, 8)
        head = Text.assemble((v.label, label_style))
        num = number(v)
        if v.show == "number":
            head.append(" " * max(1, width - len(v.label) - len(num)))
            head.append(num, value_style)
            return head
        head.append(" " * max(1, width - len(v.label) - len(num)))
        head.append(num, value_style)
        span = max(v.max - v.min, 1e-9)
        filled = round(width * min(max((v.value - v.min) / span, 0.0), 1.0))
        bar = Text.assemble(("█" * filled, value_style),
                            ("░" * (width - filled), self.get_component_rich_style("gauge--empty", partial=True)))
        return Text("\n").join([head, bar])
