"""The state panel: phase title, countdown, and every visible gauge."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from digital_actors.events import GaugeView
from tui.widgets.gauge import Gauge


class StatePanel(VerticalScroll):
    """Gauges are created once per scene and updated in place (no re-compose per tick)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=False)
        self._gauges: dict[str, Gauge] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="phase")
        yield Static("", id="countdown")

    def set_phase(self, title: str) -> None:
        self.query_one("#phase", Static).update(title)

    def set_countdown(self, text: str | None, *, urgent: bool) -> None:
        """The shared view's countdown ("4:32 left"), or nothing for a scene without one."""
        countdown = self.query_one("#countdown", Static)
        countdown.display = text is not None
        if text is not None:
            countdown.update(text, layout=False)  # every second; one row (no clock glyph: many fonts lack it)
            countdown.set_class(urgent, "-urgent")

    def set_gauges(self, views: tuple[GaugeView, ...]) -> None:
        ids = [v.id for v in views]
        if ids != list(self._gauges):
            for gauge in self._gauges.values():
                gauge.remove()
            self._gauges = {v.id: Gauge(v) for v in views}
            self.mount_all(self._gauges.values())
            return
        for view in views:
            self._gauges[view.id].show_view(view)

    def gauge(self, gauge_id: str) -> Gauge:
        return self._gauges[gauge_id]
