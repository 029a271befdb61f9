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
