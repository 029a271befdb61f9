"""The transcript: committed lines append to a RichLog; the line being spoken streams below it.

Only the live line is repainted while tokens arrive, and at most ``fps`` times a second
(deltas are coalesced), so a transcript of thousands of lines costs no more than an empty one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import RichLog

from tui.contrast import readable, solid
from tui.theme import SPEAKER_VARIABLES
from tui.widgets.live_line import LiveLine

REFLOW_KEEP = 2000  # lines redrawn when the width or the theme changes; older ones stay as they were drawn
NARRATION_STYLES = {
    "feedback": "italic", "refusal": "bold $warning", "director": "italic $accent",
    "interruption": "italic $warning", "system": "italic $text-muted", "ending": "bold $primary",
}


class Transcript(Vertical):
    """What was said, who said it, in their colours; anchored to the bottom."""

    def __init__(self, *, fps: float = 30.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self._fps = fps
        self._colours: dict[str, str] = {}
        self._live_speaker = ""
        self._live_name = ""
        self._live_text = ""
        self._pending: list[str] = []
        self._timer: Timer | None = None
        self.lines_written = 0
        self._kept: deque[Callable[[], Text]] = deque(maxlen=REFLOW_KEEP)  # each builds its line in today's theme
        self._width = 0

    def compose(self) -> ComposeResult:
        yield RichLog(id="log", wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=10)
        yield LiveLine(id="live")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / self._fps, self.flush, pause=True)
        self.watch(self.app, "theme", self._retheme, init=False)

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#log", RichLog)

    # --- colours --------------------------------------------------------------------------
    def set_cast(self, cast: list[tuple[str, str | None]]) -> None:
        """Assign each speaker a colour: their own ``colour`` or the next theme variable."""
        self._colours = {}
        for i, (speaker, colour) in enumerate(cast):
            self._colours[speaker] = colour or "$" + SPEAKER_VARIABLES[i % len(SPEAKER_VARIABLES)]

    def _style(self, spec: str) -> str:
        """Resolve ``$variable`` names against the current theme (Rich styles know no variables)."""
        variables = self.app.theme_variables
        background = variables.get("background", "#000000")
        return " ".join(solid(variables[w[1:]], background) if w.startswith("$") and w[1:] in variables
                        else "default" if w.startswith("$") else w for w in spec.split())

    def speaker_style(self, speaker: str) -> str:
        """Bold, in the speaker's colour: a cast ``colour`` is shaded until it reads on this theme's grounds
        (the surface, the paused transcript's, is the closer of the two to every text colour)."""
        colour = self._colours.get(speaker, "$secondary")
        if not colour.startswith("$"):
            colour = readable(colour, self.app.theme_variables.get("surface", "#000000"))
        return self._style("bold " + colour)

    # --- committed lines -----------------------------------------------------------------------
    def write(self, text: Text) -> None:
        """A line whose styles name no theme colour (it looks the same in every theme)."""
        self.keep(lambda: text)

    def keep(self, build: Callable[[], Text]) -> None:
        """Draw a line now, and again in the new theme or width later (``build`` makes it)."""
        self._draw(build())
        self._kept.append(build)
        self.lines_written += 1

    def _draw(self, text: Text) -> None:
        """Wrap at the log's real width (RichLog alone measures text against an 80-column console),
        and centre a centred line (a divider) across the whole log. A log that was following the
        newest line keeps following it once the new line has been laid out."""
        log = self.log_widget
        following = log.scroll_y >= log.max_scroll_y - 1
        width = log.scrollable_content_region.width
        log.write(text, width=width or None, expand=text.justify == "center")
        if following:
            self.call_after_refresh(log.scroll_end, animate=False)

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap kept lines for the new width (RichLog keeps lines as drawn): lines written before
        the first layout were wrapped at a guessed 80 columns. Rare, so affordable."""
        if event.size.width != self._width and self._kept:
            self._redraw()
        self._width = event.size.width

    def _retheme(self) -> None:
        """Colours are resolved when a line is drawn: draw the kept lines again in the new theme."""
        if self._kept:
            self._redraw()
        if self._live_speaker:
            self._paint()

    def _redraw(self) -> None:
        log = self.log_widget
        log.clear()
        for build in self._kept:
            self._draw(build())

    def say(self, name: str, speaker: str, text: str, *, interrupted: bool = False) -> None:
        def line() -> Text:
            out = Text.assemble((f"{name}: ", self.speaker_style(speaker)), text)
            if interrupted:
                out.append(" —", self._style("bold $warning"))
            return out

        self.keep(line)

    def player(self, text: str) -> None:
        self.keep(lambda: Text.assemble(("You: ", self._style("bold $primary")), (text, self._style("$primary"))))

    def narrate(self, text: str, kind: str = "system") -> None:
        self.keep(lambda: Text("  " + text, self._style(NARRATION_STYLES.get(kind, "italic"))))

    def divider(self, title: str) -> None:
        self.keep(lambda: Text(f"── {title} ──", self._style("bold $secondary"), justify="center"))

    def problem(self, text: str) -> None:
        self.keep(lambda: Text("  ! " + text, self._style("bold $error")))

    # --- the line being spoken ------------------------------------------------------------------
    def begin(self, speaker: str, name: str) -> None:
        self.end()
        self._live_speaker, self._live_name, self._live_text = speaker, name, ""
        self._pending.clear()
        self._paint()
        if self._timer is not None:
            self._timer.resume()

    def delta(self, text: str) -> None:
        self._pending.append(text)

    def flush(self) -> None:
        """Paint the deltas that arrived since the last frame (called by the frame timer)."""
        if self._pending:
            self._live_text += "".join(self._pending)
            self._pending.clear()
            self._paint()

    def finish(self, speaker: str, name: str, text: str, *, interrupted: bool) -> None:
        """Commit the finished line (the engine's final text wins over the deltas)."""
        self.end()
        if text or interrupted:
            self.say(name, speaker, text, interrupted=interrupted)

    def end(self) -> None:
        if self._timer is not None:
            self._timer.pause()
        self._pending.clear()
        self._live_text = self._live_name = self._live_speaker = ""
        self.query_one(LiveLine).show(None)

    @property
    def live_text(self) -> str:
        return self._live_text + "".join(self._pending)

    def _paint(self) -> None:
        self.query_one(LiveLine).show(Text.assemble((f"{self._live_name}: ", self.speaker_style(self._live_speaker)),
                                  self._live_text, ("▌", self._style("$primary"))))

    def clear(self) -> None:
        self.end()
        self.log_widget.clear()
        self._kept.clear()
        self.lines_written = 0
