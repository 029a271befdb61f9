from __future__ import annotations

import itertools
from pathlib import Path

from digital_actors.actors.understudy import Understudy
from digital_actors.player import Recollection
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import Cue
from tests.engine.conftest import BASE, write_scene

TEXT = BASE.replace('[script]\nfallback = ["What?"]', '''[[controls]]
id = "valve"
label = "VALVE"
[script]
fallback = ["What?", "Say again?", "Pardon?"]
opening = ["One.", "Two."]
returning = ["Back again, {name}?", "You came back."]
idle = ["Hello?", "Still there?"]
suggestions = ["What about the air?", "How is the air?", "Is the air okay?", "Tell me about the valve.",
               "What does the valve do?", "Blah blah nothing", {text = "Later, {name}: the valve?", when = "air < 60"},
               "My name is Sam, what about the air?"]
[script.controls]
valve = ["V1", "V2", "V3", "V4"]
[[script.replies]]
keywords = ["valve"]
lines = ["The valve lets air in."]
[[script.replies]]
keywords = ["air"]
lines = ["Air is fine."]
when = "air < 60"
[[script.replies]]
keywords = ["air"]
lines = ["Plenty of air."]
when = "air >= 60"
''')


def scene(tmp_path: Path) -> Scene:
    return load_scene(write_scene(tmp_path / "t", TEXT))


async def text_of(actor: Understudy, cue: Cue) -> tuple[str, str]:
    perf = actor.perform(cue)
    assert perf is not None
    return "".join([d async for d in perf]), perf.source


async def test_same_seed_same_lines_and_different_seeds_differ(tmp_path: Path) -> None:
    s = scene(tmp_path)
    cue = Cue(kind="control", character_id="bob", control_id="valve")

    async def run(seed: int) -> list[str]:
        actor = Understudy(s, seed=seed)
        return [(await text_of(actor, cue))[0] for _ in range(12)]

    first = await run(1)
    assert first == await run(1)
    others = [await run(seed) for seed in range(2, 8)]
    assert any(first != other for other in others)


async def test_never_the_same_line_twice_in_a_row(tmp_path: Path) -> None:
    s = scene(tmp_path)
    for seed in range(20):
        actor = Understudy(s, seed=seed)
        said = [(await text_of(actor, Cue(kind="reply", character_id="bob", player_text="hmm")))[0]
                for _ in range(30)]
        assert all(a != b for a, b in itertools.pairwise(said)), seed


async def test_opening_is_the_whole_opening_and_returning_players_are_greeted(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path))
    assert await text_of(actor, Cue(kind="opening", character_id="bob")) == ("One. Two.", "understudy: script.opening")
    back = Cue(kind="opening", character_id="bob", recollection=Recollection(attempts=2), player_name="Ada")
    said = {(await text_of(actor, back))[0] for _ in range(4)}
    assert said == {"Back again, Ada?", "You came back."}
    anonymous = Cue(kind="opening", character_id="bob", recollection=Recollection(attempts=1))
    assert (await text_of(actor, anonymous))[0] == "You came back."


async def test_player_text_is_never_a_template(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path))
    cue = Cue(kind="opening", character_id="bob", recollection=Recollection(attempts=1), player_name="{name}{name}")
    said = {(await text_of(actor, cue))[0] for _ in range(4)}
    assert "Back again, {name}{name}?" in said


async def test_replies_respect_when_and_report_their_source(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path))
    low = Cue(kind="reply", character_id="bob", player_text="How's the AIR?", names={"air": 50})
    high = Cue(kind="reply", character_id="bob", player_text="air?", names={"air": 90})
    assert await text_of(actor, low) == ("Air is fine.", "understudy: script.replies[1] ('air')")
    assert (await text_of(actor, high))[0] == "Plenty of air."
    fallback = await text_of(actor, Cue(kind="reply", character_id="bob", player_text="airplane"))
    assert fallback[1] == "understudy: script.fallback"


async def test_nothing_to_say_returns_none_and_nudges_use_idle_lines(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path))
    assert actor.perform(Cue(kind="phase", character_id="bob", phase_id=1)) is None
    assert actor.perform(Cue(kind="ending", character_id="bob", ending_id="done")) is None
    said, source = await text_of(actor, Cue(kind="nudge", character_id="bob"))
    assert said in ("Hello?", "Still there?") and source == "understudy: script.idle"


async def test_suggestions_rotate(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path), seed=3)
    cue = Cue(kind="reply", character_id="bob", names={"air": 50.0, "phase": 1.0})
    first, second = actor.suggest(cue, ""), actor.suggest(cue, "")
    assert len(first) == 3 and len(set(first)) == 3
    assert set(first) != set(second)


async def test_only_suggestions_that_get_a_real_answer_now_are_offered(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path))
    now = {"air": 70.0, "phase": 1.0}
    offered = actor.offers(Cue(kind="reply", character_id="bob", names=now))
    assert "Blah blah nothing" not in offered  # would only get "What?"
    assert not any("Later" in o for o in offered)  # its `when` does not hold yet, and no name is known
    assert "My name is Sam, what about the air?" in offered
    later = actor.offers(Cue(kind="reply", character_id="bob", names={"air": 50.0}, player_name="Ada"))
    assert "Later, Ada: the valve?" in later  # the player's given name, once they gave one
    assert not any("My name is" in o for o in later)  # no name offered to someone who gave theirs


async def test_reset_replays_the_same_choices(tmp_path: Path) -> None:
    actor = Understudy(scene(tmp_path), seed=9)
    cue = Cue(kind="control", character_id="bob", control_id="valve")
    before = [(await text_of(actor, cue))[0] for _ in range(6)]
    actor.reset()
    assert [(await text_of(actor, cue))[0] for _ in range(6)] == before


SIGNALLED = TEXT.replace("[[controls]]", '''[[signals]]
id = "brave"
ask = "Was the player brave?"
keywords = ["i can do it"]
[[controls]]''', 1) + '''[script.signals]
brave = ["That's the spirit.", "Brave one."]
[[script.replies]]
keywords = ["what does the valve do now that i can do it"]
lines = ["Specific answer."]
'''


async def test_a_fired_signals_line_beats_a_reply_matched_by_an_incidental_word(tmp_path: Path) -> None:
    actor = Understudy(load_scene(write_scene(tmp_path / "s", SIGNALLED)))
    cue = Cue(kind="reply", character_id="bob", player_text="I can do it, give me the valve",
              signals=("brave",), names={"air": 70.0})
    text, source = await text_of(actor, cue)
    assert source == "understudy: script.signals.brave" and text in ("That's the spirit.", "Brave one.")
    gated = Cue(kind="reply", character_id="bob", player_text="I can do it, more air", signals=("brave",),
                names={"air": 70.0})  # the writer gated the air reply on this state: it wins
    assert (await text_of(actor, gated))[1] == "understudy: script.replies[2] ('air')"
    specific = Cue(kind="reply", character_id="bob", signals=("brave",), names={"air": 70.0},
                   player_text="what does the valve do now that I can do it")
    assert (await text_of(actor, specific))[0] == "Specific answer."


async def test_no_authored_line_repeats_while_another_fits(tmp_path: Path) -> None:
    shared = SIGNALLED.replace("That's the spirit.", "The valve lets air in.")
    actor = Understudy(load_scene(write_scene(tmp_path / "s", shared)), seed=1)
    first = Cue(kind="reply", character_id="bob", player_text="the valve?", names={"air": 70.0})
    assert (await text_of(actor, first))[0] == "The valve lets air in."
    again = Cue(kind="reply", character_id="bob", player_text="I can do it", signals=("brave",))
    assert (await text_of(actor, again))[0] == "Brave one."  # the shared line was already spoken
    valve = (await text_of(actor, first))[0]
    assert valve == "The valve lets air in."  # the only line that fits: a repeat is better than "What?"


STEERED = '''
id = "s"
title = "S"
[player]
role = "tester"
[cast.bob]
name = "Bob"
brief = "inline brief"
[state.air]
start = 50
[[phases]]
id = 1
title = "One"
[[phases]]
id = 2
title = "Two"
enter = "air >= 80"
[[phases]]
id = 3
title = "Three"
enter = "air >= 90"
[[endings]]
id = "done"
kind = "success"
when = "air >= 100"
title = "Done"
[script]
fallback = ["Say again?"]
[script.steer]
1 = ["Crank it, key one.", "The crank, now.", "Key one. Crank."]
2 = ["The valve, key two!"]
[[script.replies]]
keywords = ["crank"]
lines = ["The crank is by the door."]
[[script.replies]]
keywords = ["{yes}"]
when = "phase == 2"
lines = ["Good. Now the valve."]
[[script.replies]]
keywords = ["alright"]
lines = ["Alright yourself."]
[[script.replies]]
keywords = ["{what}"]
lines = ["I said: the crank."]
'''


def steered(tmp_path: Path, seed: int = 0) -> Understudy:
    return Understudy(load_scene(write_scene(tmp_path / "s", STEERED)), seed=seed)


def said(phase: int, text: str) -> Cue:
    return Cue(kind="reply", character_id="bob", player_text=text, names={"phase": float(phase), "air": 50.0})


async def test_words_nothing_answers_get_the_phases_steering_line_not_say_again(tmp_path: Path) -> None:
    actor = steered(tmp_path)
    assert await text_of(actor, said(2, "do you like pizza?")) == ("The valve, key two!", "understudy: script.steer.2")
    assert (await text_of(actor, said(1, "tell me a joke")))[1] == "understudy: script.steer.1"
    assert await text_of(actor, said(3, "tell me a joke")) == ("Say again?", "understudy: script.fallback")
    no_phase = Cue(kind="reply", character_id="bob", player_text="tell me a joke")
    assert (await text_of(actor, no_phase))[1] == "understudy: script.fallback"
    assert (await text_of(actor, said(1, "where's the crank?")))[0] == "The crank is by the door."


async def test_steering_never_falls_back_and_repeats_only_once_every_line_was_said(tmp_path: Path) -> None:
    for seed in range(10):
        actor = steered(tmp_path / str(seed), seed)
        lines = [await text_of(actor, said(1, f"off topic {n}")) for n in range(7)]
        assert {source for _, source in lines} == {"understudy: script.steer.1"}, seed
        assert len({text for text, _ in lines[:3]}) == 3, seed  # every steering line before any repeat


async def test_a_terse_line_takes_the_reply_written_for_it(tmp_path: Path) -> None:
    actor = steered(tmp_path)
    assert (await text_of(actor, said(2, "alright")))[0] == "Good. Now the valve."  # {yes} outweighs "alright"
    assert (await text_of(actor, said(1, "alright")))[0] == "Alright yourself."  # {yes} is gated to phase 2
    assert (await text_of(actor, said(2, "are you alright?")))[0] == "Alright yourself."  # not a bare yes
    assert (await text_of(actor, said(1, "ok")))[1] == "understudy: script.steer.1"  # nothing answers it: steer
    assert (await text_of(actor, said(1, "Huh?")))[0] == "I said: the crank."
