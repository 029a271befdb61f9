"""Fixtures for the terminal game: a writable mini scene, a fake clock, an app built around them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from digital_actors import paths
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from tui.app import DigitalActorsApp
from tui.providers import Preferences

FIXTURES = Path(__file__).parent / "fixtures"
AppFactory = Callable[..., tuple[DigitalActorsApp, FakeClock]]


@pytest.fixture
def scenes_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scenes folder holding a writable copy of the mini scene, and nothing else on the search path."""
    monkeypatch.setenv("DIGITAL_ACTORS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DIGITAL_ACTORS_SCENES", raising=False)
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "no-builtin"
    empty.mkdir()
    monkeypatch.setattr(paths, "builtin_scenes_dir", lambda: empty)
    target = tmp_path / "scenes"
    shutil.copytree(FIXTURES / "mini", target / "mini")
    return target


@pytest.fixture
def make_app(scenes_dir: Path) -> AppFactory:
    """Build an app on a FakeClock; ``play=True`` opens the mini scene straight away."""

    def build(*, play: bool = True, pace: float = 0.0, dark: bool = True, **kwargs: Any) -> tuple[
            DigitalActorsApp, FakeClock]:
        clock = FakeClock()
        engine = Engine(Settings(), extra_scenes=[scenes_dir], clock=clock)
        request = kwargs.pop("request", None) or SessionRequest(scene="mini", seed=1, pace=pace)
        app = DigitalActorsApp(engine, start=request if play else None, pace=pace, watch_interval=None,
                               preferences=Preferences(voice=False, suggestions=True, dark=dark), **kwargs)
        return app, clock

    return build


def play_screen(app: DigitalActorsApp) -> Any:
    from tui.screens.play import PlayScreen

    return next(s for s in reversed(app.screen_stack) if isinstance(s, PlayScreen))


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let input workers start, the session go quiet, and the screen render what it emitted."""
    for _ in range(rounds):
        await pilot.pause()
        screen = play_screen(pilot.app) if any(type(s).__name__ == "PlayScreen" for s in pilot.app.screen_stack) \
            else None
        if screen is not None and screen.session is not None:
            await screen.session.settle()
        await pilot.pause()


def transcript_text(app: DigitalActorsApp) -> str:
    from tui.widgets.transcript import Transcript

    log = play_screen(app).query_one(Transcript).log_widget
    return "\n".join(strip.text for strip in log.lines)


def builtin_scene_ids() -> list[str]:
    """Every scene shipped with the game (read from the folder, so a new scene is covered at once)."""
    root = paths.builtin_scenes_dir()
    return sorted(p.name for p in root.iterdir() if (p / "scene.toml").is_file())


@pytest.fixture
def make_builtin_app() -> Callable[..., tuple[DigitalActorsApp, FakeClock]]:
    """An app that opens a built-in scene straight away (in ``phase``: the last one when -1)."""

    def build(scene_id: str, *, phase: int | None = -1, dark: bool = True, **kwargs: Any) -> tuple[
            DigitalActorsApp, FakeClock]:
        clock = FakeClock()
        engine = Engine(Settings(), clock=clock)
        if phase == -1:
            phase = engine.load(scene_id).phases[-1].id
        request = SessionRequest(scene=scene_id, seed=1, pace=0.0, start_phase=phase)
        app = DigitalActorsApp(engine, start=request, pace=0.0, watch_interval=None,
                               preferences=Preferences(voice=False, suggestions=True, dark=dark), **kwargs)
        return app, clock

    return build


def fully_visible(widget: Any) -> bool:
    """Shown whole on its screen, and the topmost widget where it is (not covered, not scrolled away)."""
    screen = widget.screen
    region = widget.region
    if not widget.display or region.area == 0 or not screen.region.contains_region(region):
        return False
    for x, y in ((region.x, region.y), (region.right - 1, region.bottom - 1)):
        try:
            found, _ = screen.get_widget_at(x, y)
        except Exception:  # NoWidget: nothing there
            return False
        if found is not widget and widget not in found.ancestors:
            return False
    return True
