"""The docs' screenshot script: its core writes one SVG per view, theme and size, of the real screens."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_screenshot_script_shoots_the_views(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("tui_screenshots", ROOT / "scripts" / "tui_screenshots.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shots = script.shoot(tmp_path, views=("picker", "play"), sizes=((80, 24),), themes=(False,))
    assert [p.name for p in shots] == ["tui-picker-light-80x24.svg", "tui-play-light-80x24.svg"]
    assert "Welcome&#160;to&#160;the&#160;Lamp&#160;Room" in shots[0].read_text()  # the scene list
    assert "WIND&#160;THE&#160;CLOCKWORK" in shots[1].read_text()  # mid-scene, its controls
