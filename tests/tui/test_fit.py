"""Everything a player needs fits an 80×24 terminal: every control of every built-in scene in its
final phase (the most controls, unlocked or not), and every dialog with each of its buttons."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Button

from tests.tui.conftest import builtin_scene_ids, fully_visible, play_screen, settle
from tui.widgets.controls import ControlBar, button_label
from tui.widgets.flow import button_width, flow_rows

SMALL = (80, 24)


def test_flow_rows_fill_rows_left_to_right_and_wrap() -> None:
    assert flow_rows([10, 10, 10], 32) == [[0, 1, 2]]  # 10 + 1 + 10 + 1 + 10 = 32: fits exactly
    assert flow_rows([10, 10, 10], 31) == [[0, 1], [2]]
    assert flow_rows([10, 10, 10], 21) == [[0, 1], [2]]
    assert flow_rows([10, 10, 10], 20) == [[0], [1], [2]]
    assert flow_rows([40, 5], 30) == [[0], [1]]  # too wide for a row: a row of its own
    assert flow_rows([5, 40, 5], 30) == [[0], [1], [2]]
    assert flow_rows([], 30) == []
    assert button_width(Text("1 STIR")) == 8


@pytest.mark.parametrize("scene_id", builtin_scene_ids())
async def test_every_control_is_on_screen_at_80x24_in_the_final_phase(scene_id: str,
                                                                      make_builtin_app: Any) -> None:
    app, _ = make_builtin_app(scene_id)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = play_screen(app)
        scene = screen.session.scene
        assert screen.session.world.phase.id == scene.phases[-1].id
        bar = screen.query_one(ControlBar)
        for control in scene.controls:
            button = bar.query_one(f"#control-{control.id}", Button)
            assert fully_visible(button), (control.id, button.region)
            view = bar.views[control.id]
            assert button.region.width >= button_width(button_label(view)), control.id  # never cut with "…"
            assert control.label in str(button.label)
        assert len(bar.query(Button)) == len(scene.controls)


async def tab_through(pilot: Any) -> dict[str, bool]:
    """Press Tab round the whole focus chain: each button reached, and whether it was on screen then."""
    screen = pilot.app.screen
    reached: dict[str, bool] = {}
    for _ in range(len(screen.focus_chain) + 2):
        await pilot.press("tab")
        await pilot.pause()
        focused = pilot.app.focused
        if isinstance(focused, Button) and focused.id:
            reached[focused.id] = reached.get(focused.id, False) or fully_visible(focused)
    return reached


async def assert_every_button_reachable(pilot: Any) -> None:
    screen = pilot.app.screen
    await pilot.pause()
    buttons = {b.id: b for b in screen.query(Button) if b.display}
    assert buttons, "a dialog with no buttons"
    for button_id, button in buttons.items():
        assert fully_visible(button), (button_id, button.region, screen.region)
    reached = await tab_through(pilot)
    enabled = {i for i, b in buttons.items() if not b.disabled}
    assert set(reached) == enabled, (sorted(reached), sorted(enabled))
    assert all(reached.values()), reached


def longest_ending() -> tuple[str, str]:
    """The longest title and epilogue of any built-in scene's ending: what the game-over card must hold."""
    from digital_actors.config import Settings
    from digital_actors.engine import Engine

    engine = Engine(Settings())
    endings = [e for sid in builtin_scene_ids() for e in engine.load(sid).endings]
    ending = max(endings, key=lambda e: len(e.title) + len(e.epilogue))
    return ending.title, ending.epilogue


class ManyMemories:
    def __init__(self) -> None:
        self.rows = [(str(i), "Hale", f"You asked about the trim pump ({i}), twice, early on.") for i in range(40)]

    async def memories(self) -> list[tuple[str, str, str]]:
        return list(self.rows)

    async def forget(self, memory_id: str | None) -> None:
        self.rows = []


DIALOGS = ["settings", "help", "game_over", "profile", "error", "confirm"]


@pytest.mark.parametrize("dialog", DIALOGS)
@pytest.mark.parametrize("dark", [True, False], ids=["dark", "light"])
async def test_every_dialog_fits_80x24_with_every_button_visible_and_reachable_by_tab(
        dialog: str, dark: bool, make_builtin_app: Any) -> None:
    from digital_actors.errors import SceneError
    from digital_actors.events import GameOver
    from tui.screens.confirm import ConfirmDialog
    from tui.screens.error import ErrorDialog
    from tui.screens.game_over import GameOverScreen

    app, _ = make_builtin_app("life_raft", dark=dark, profile=ManyMemories(), player="Ada")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        if dialog == "settings":
            await pilot.press("f7")
        elif dialog == "help":
            await pilot.press("f8")
        elif dialog == "profile":
            await pilot.press("f6")
            for worker in [w for w in app.workers if w.node is app.screen]:
                await worker.wait()
        elif dialog == "game_over":
            title, epilogue = longest_ending()
            over = GameOver("x", "failure", title, epilogue, 301.0, {"lines": 40.0})
            await app.push_screen(GameOverScreen(over, [("Time", "5:01"), ("Lines spoken", "40"),
                                                        ("Cross-Feed Valve", "used 3 times")]))
        elif dialog == "error":
            problems = [f"scene.toml: controls[{i}].when: unknown name 'uses.valve{i}'" for i in range(30)]
            await app.push_screen(ErrorDialog(SceneError("life_raft cannot load", hint="fix the files and save again",
                                                         problems=problems)))
        else:
            await app.push_screen(ConfirmDialog("Forget everything the characters remember about you? " * 3,
                                                yes="Forget everything"))
        await settle(pilot)
        assert app.screen.is_modal
        await assert_every_button_reachable(pilot)
