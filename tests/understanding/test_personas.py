"""The persona benchmark's misreadings (benchmarks/personas), through the built-in scenes' own
signals and replies: what a player gets offline, not only what the matcher returns."""

from __future__ import annotations

import pytest

from digital_actors.actors.fit import best_reply
from digital_actors.scene.model import Scene
from digital_actors.understanding import offline_fires
from digital_actors.world import World
from tests.understanding.conftest import signal


def reply_keyword(scene: Scene, text: str, phase: int) -> str | None:
    hit = best_reply(scene, text, World(scene, start_phase=phase).names())
    return None if hit is None else hit.keyword


@pytest.mark.parametrize(("scene_id", "text", "phase"), [
    ("life_raft", "bloody hell this is terrifying", 1),
    ("welcome", "Bloody hell, it's dark in here.", 1),
    ("merlins_workshop", "is Harry Potter real?", 1),
])
def test_a_common_word_is_not_taken_for_a_greeting_or_a_hurry(builtin: dict[str, Scene], scene_id: str, text: str,
                                                             phase: int) -> None:
    assert reply_keyword(builtin[scene_id], text, phase) not in ("hello", "hurry")


def test_hell_is_no_greeting_but_a_typed_helo_is(builtin: dict[str, Scene]) -> None:
    greeting = signal(builtin["welcome"], "greeting")
    assert offline_fires(greeting, "Bloody hell, it's dark in here.") is None
    assert offline_fires(greeting, "helo!") is not None


def test_a_tagged_reassurance_reassures(builtin: dict[str, Scene]) -> None:
    reassurance = signal(builtin["pressure_point"], "reassurance")
    for text in ("We're going to get through this, okay?", "We'll get through this okay?",
                 "we are gonna get through this, yeah?"):
        assert offline_fires(reassurance, text) is not None, text
    assert offline_fires(reassurance, "Are we going to get through this?") is None


def test_a_tagged_name_is_asserted(builtin: dict[str, Scene]) -> None:
    names_curtis = signal(builtin["interrogation"], "names_curtis")
    match = offline_fires(names_curtis, "It was Curtis, right?")
    assert match is not None and match.text == "Curtis"
    accuse = signal(builtin["iconic_detectives"], "accuse")
    assert offline_fires(accuse, "You killed him didn't you?") is not None
    assert offline_fires(accuse, "Did you kill him?") is None


def test_a_question_about_what_he_said_gets_his_answer(builtin: dict[str, Scene]) -> None:
    scene = builtin["pressure_point"]
    keyword = reply_keyword(scene, "You said someone's in the med bay. Who is it?", 2)
    assert keyword == "someone in the med bay"
    assert reply_keyword(scene, "You said someone's in the med bay.", 2) is None


def test_why_dont_you_is_a_suggestion(builtin: dict[str, Scene]) -> None:
    assert reply_keyword(builtin["interrogation"], "Why don't you tell me about the camera?", 1) is not None
    talk = signal(builtin["pressure_point"], "talk_to_him")
    assert offline_fires(talk, "Why don't you talk to him?") is not None
    assert offline_fires(talk, "I don't want you to talk to him.") is None
