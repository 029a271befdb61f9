"""Which signals decide how a scene ends (understanding/decisive.py, Signal.decisive)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digital_actors.errors import SceneError
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from digital_actors.understanding import decisive_signals

SCENE = '''
id = "d"
title = "D"
[player]
role = "tester"
[cast.bob]
name = "Bob"
brief = "inline brief"
[state.trust]
[state.mood]
[state.noise]
[[phases]]
id = 1
title = "One"
[[phases]]
id = 2
title = "Two"
enter = "mood >= 5"
[[signals]]
id = "insult"
ask = "?"
keywords = ["idiot"]
[[signals]]
id = "kind"
ask = "?"
keywords = ["thanks"]
effects = { trust = "+5" }
[[signals]]
id = "cheer"
ask = "?"
keywords = ["hooray"]
effects = { mood = "+5" }
[[signals]]
id = "chatter"
ask = "?"
keywords = ["weather"]
effects = { noise = "+1" }
[[signals]]
id = "forced_on"
ask = "?"
keywords = ["psst"]
effects = { noise = "+1" }
decisive = true
[[signals]]
id = "forced_off"
ask = "?"
keywords = ["sorry"]
effects = { trust = "+1" }
decisive = false
[[endings]]
id = "insulted"
kind = "failure"
when = "signals.insult == 1"
title = "Insulted"
[[endings]]
id = "won"
kind = "success"
when = "{win}"
title = "Won"
[script]
fallback = ["What?"]
'''


def scene(tmp_path: Path, win: str) -> Scene:
    (tmp_path / "scene.toml").write_text(SCENE.replace("{win}", win), encoding="utf-8")
    return load_scene(tmp_path)


def test_derived_from_the_endings_and_forced_by_the_writer(tmp_path: Path) -> None:
    assert decisive_signals(scene(tmp_path, "phase == 2 and trust >= 10")) == {
        "insult",      # an ending reads signals.insult
        "kind",        # it writes trust, which an ending reads
        "cheer",       # it writes mood, which opens phase 2, which an ending reads
        "forced_on",   # the writer says so; it writes only noise
    }                  # chatter writes only noise; forced_off writes trust but the writer says no


def test_phases_count_only_when_an_ending_reads_the_phase(tmp_path: Path) -> None:
    assert decisive_signals(scene(tmp_path, "trust >= 10")) == {"insult", "kind", "forced_on"}


def test_decisive_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "scene.toml").write_text(SCENE.replace("{win}", "trust >= 1").replace(
        "decisive = true", 'decisive = "yes"'), encoding="utf-8")
    with pytest.raises(SceneError) as e:
        load_scene(tmp_path)
    assert any("signals[4].decisive" in p for p in e.value.problems)


def test_built_in_scenes(builtin: dict[str, Scene]) -> None:
    assert {"confession", "claim_home", "hostile", "wants_lawyer"} <= decisive_signals(builtin["interrogation"])
    merlin = decisive_signals(builtin["merlins_workshop"])
    assert "answer_4" in merlin and "answer_1" not in merlin and "wrong_1" not in merlin
    welcome = decisive_signals(builtin["welcome"])
    assert welcome == {"gave_name"}
    assert "accept_story" in decisive_signals(builtin["iconic_detectives"])
