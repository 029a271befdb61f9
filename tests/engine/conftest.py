from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def mini_dir(tmp_path: Path) -> Path:
    """A writable copy of the mini scene."""
    target = tmp_path / "scenes" / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    return target


@pytest.fixture
def mini() -> Scene:
    return load_scene(FIXTURES / "mini")


def write_scene(folder: Path, toml: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scene.toml").write_text(toml, encoding="utf-8")
    return folder


BASE = '''
id = "t"
title = "T"
[player]
role = "tester"
[cast.bob]
name = "Bob"
brief = "inline brief"
[state.air]
start = 50
show = "gauge"
[[phases]]
id = 1
title = "One"
[[endings]]
id = "done"
kind = "success"
when = "air >= 100"
title = "Done"
[script]
fallback = ["What?"]
'''
