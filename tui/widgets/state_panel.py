"""The state panel: phase title, countdown, and every visible gauge."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from digital_actors.events import GaugeView
from tui.widgets.gauge import Gauge


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))  # 0.2 s left still shows 0:01
    return f"{seconds // 60}:{seconds % 60:02d}"


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

    def set_time_left(self, seconds: float | None) -> None:
        countdown = self.query_one("#countdown", Static)
        countdown.display = seconds is not None
        if seconds is not None:
            countdown.update(f"⏱ {clock_text(seconds)} left", layout=False)  # every second; one row
            countdown.set_class(seconds <= 30, "-urgent")

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
