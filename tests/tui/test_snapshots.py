"""Snapshot tests (pytest-textual-snapshot) of the picker, play, game over and inspector, dark and light.

Deterministic: a fake clock, a fixed seed, lines streamed at once, no blinking cursor.
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import AppFactory, builtin_scene_ids, settle
from tui.widgets.speech_input import SpeechInput

SMALL, LARGE = (80, 24), (120, 36)


async def _steady(pilot: Any) -> None:
    """A steady, visible cursor: whether a blink had hidden it would otherwise vary run to run."""
    for input_ in pilot.app.screen.query(SpeechInput):
        input_.cursor_blink = False
    await pilot.pause()
    for input_ in pilot.app.screen.query(SpeechInput):
        input_._cursor_visible = True
    await pilot.pause()


async def _picker_ready(pilot: Any) -> None:
    await pilot.app.screen.workers.wait_for_complete()
    await pilot.pause()


def _mid_scene(clock: Any) -> Any:
    async def run(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press(*"what's your name", "enter")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        await clock.advance(1)
        await settle(pilot)
        await _steady(pilot)

    return run


def test_picker_small(make_app: AppFactory, snap_compare: Any) -> None:
    app, _ = make_app(play=False)
    assert snap_compare(app, terminal_size=SMALL, run_before=_picker_ready)


def test_picker_large_light(make_app: AppFactory, snap_compare: Any) -> None:
    app, _ = make_app(play=False, dark=False)
    assert snap_compare(app, terminal_size=LARGE, run_before=_picker_ready)


def test_play_mid_scene_small(make_app: AppFactory, snap_compare: Any) -> None:
    app, clock = make_app()
    assert snap_compare(app, terminal_size=SMALL, run_before=_mid_scene(clock))


def test_play_mid_scene_large_light(make_app: AppFactory, snap_compare: Any) -> None:
    app, clock = make_app(dark=False)
    assert snap_compare(app, terminal_size=LARGE, run_before=_mid_scene(clock))


def test_game_over_small(make_app: AppFactory, snap_compare: Any) -> None:
    app, clock = make_app()

    async def run(pilot: Any) -> None:
        await settle(pilot)
        await clock.advance(6)
        await settle(pilot)
        for _ in range(2):
            await pilot.press(*"thank you", "enter")
            await settle(pilot)
        await _steady(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


def test_inspector_large(make_app: AppFactory, snap_compare: Any) -> None:
    app, clock = make_app()

    async def run(pilot: Any) -> None:
        await _mid_scene(clock)(pilot)
        await clock.advance(50)
        await settle(pilot)
        await pilot.press("f12")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=LARGE, run_before=run)


def test_inspector_small(make_app: AppFactory, snap_compare: Any) -> None:
    app, clock = make_app()

    async def run(pilot: Any) -> None:
        await _mid_scene(clock)(pilot)
        await pilot.press("f12")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


@pytest.mark.parametrize("scene_id", builtin_scene_ids())
def test_final_phase_controls_small(scene_id: str, make_builtin_app: Any, snap_compare: Any) -> None:
    """Each built-in scene in its final phase at 80×24: every control on screen."""
    app, _ = make_builtin_app(scene_id)

    async def run(pilot: Any) -> None:
        await settle(pilot)
        await _steady(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)
