"""Title and scene picker: every scene found, with its tagline, category, length and best result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from digital_actors.errors import DigitalActorsError
from digital_actors.scene.loader import SceneRef
from tui.scene_reads import read_scenes

TITLE = "D I G I T A L   A C T O R S"
TAGLINE = "Short, tense scenes. Say anything. They answer."


def scene_option(ref: SceneRef, best: str | None) -> Option:
    if ref.scene is None:
        message = ref.error.message if ref.error else "could not be loaded"
        text = Text.assemble((ref.id, "bold"), ("  cannot be played\n", "italic"), (message, "italic"))
        return Option(text, id=ref.id, disabled=True)
    s = ref.scene
    meta = f"{s.category} · {s.minutes:g} min"
    text = Text.assemble((s.title, "bold"), (f"  {meta}", "italic"))
    if best:
        text.append(f"  best: {best}", "bold")  # words, not a star: common terminal fonts lack it
    if s.tagline:
        text.append("\n" + s.tagline, "italic")  # not dim: on the highlighted row dim text falls below 4.5:1
    return Option(text, id=ref.id)


class PickerScreen(Screen[None]):
    """Loads scenes (and best results when a memory source is given) in a worker."""

    @dataclass
    class Chosen(Message):
        ref: SceneRef

    @dataclass
    class Ready(Message):
        """The list is loaded and interactive (the startup benchmark waits for this)."""

        count: int

    def __init__(self) -> None:
        super().__init__()
        self.refs: dict[str, SceneRef] = {}
        self.ready = False

    def compose(self) -> ComposeResult:
        with Vertical(id="title-card"):
            yield Static(TITLE, id="game-title")
            yield Static(TAGLINE, id="game-tagline")
        yield OptionList(id="scenes")
        yield Static("", id="picker-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#picker-status", Static).update("Looking for scenes…")
        self.load_scenes()

    @work(exclusive=True, group="scenes")
    async def load_scenes(self) -> None:
        engine = self.app.engine  # type: ignore[attr-defined]
        refs: list[SceneRef] = await read_scenes(engine.scenes)
        best: dict[str, str] = {}
        provider = self.app.best_results  # type: ignore[attr-defined]
        if provider is not None:
            try:
                best = await asyncio.wait_for(provider(), timeout=3.0)
            except (DigitalActorsError, TimeoutError) as e:
                self.notify(f"Best results unavailable: {getattr(e, 'message', 'memory store too slow')}",
                            severity="warning", markup=False)
        self.refs = {r.id: r for r in refs}
        options = self.query_one("#scenes", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([scene_option(r, best.get(r.id)) for r in refs])
        playable = sum(1 for r in refs if r.scene is not None)
        if refs:
            options.highlighted = min(highlighted or 0, len(refs) - 1)
        noun = "scene" if playable == 1 else "scenes"
        status = f"{playable} {noun} · Enter to play · F6 profile · F7 settings · F8 help"
        if not refs:
            status = "No scenes found: add a folder with --scenes DIR or DIGITAL_ACTORS_SCENES."
        self.query_one("#picker-status", Static).update(status)
        options.focus()
        self.ready = True
        self.post_message(self.Ready(len(refs)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        ref = self.refs.get(event.option.id or "")
        if ref is not None and ref.scene is not None:
            self.post_message(self.Chosen(ref))

    def on_screen_resume(self) -> None:
        if self.ready:
            self.load_scenes()  # best results and edited scenes change between plays
