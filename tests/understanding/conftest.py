from __future__ import annotations

from pathlib import Path

import pytest

from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene, Signal

SCENES = Path(__file__).parents[2] / "scenes"


def signal(scene: Scene, signal_id: str) -> Signal:
    return next(s for s in scene.signals if s.id == signal_id)


@pytest.fixture(scope="session")
def builtin() -> dict[str, Scene]:
    return {p.parent.name: load_scene(p.parent) for p in SCENES.glob("*/scene.toml")}
