"""Understanding corpora: loading with located errors, scoring, floors, and `digital-actors test`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from digital_actors.authoring.corpus import (
    evaluate,
    find_corpus_files,
    load_corpus,
    offline_decision,
    plain_keywords,
)
from digital_actors.authoring.playtest import find_play_files
from digital_actors.cli import cli
from digital_actors.errors import SceneError
from digital_actors.understanding import Context, analyse, offline_fires
from tests.understanding.conftest import SCENES

NEGATIVE_KINDS = {"negation", "question", "hypothetical", "sarcasm", "quotation", "offtopic"}
BUILTIN = sorted(p for p in SCENES.glob("*/tests/understanding.toml"))

SCENE = '''
id = "c"
title = "C"
[player]
role = "tester"
[cast.bob]
name = "Bob"
brief = "inline brief"
[state.calm]
[[phases]]
id = 1
title = "One"
[[phases]]
id = 2
title = "Two"
enter = "elapsed >= 60"
[[signals]]
id = "confess"
ask = "?"
keywords = ["i did it"]
when = "phase == 2"
[[signals]]
id = "greet"
ask = "?"
keywords = ["hello"]
once = false
[[signals]]
id = "named"
ask = "?"
keywords = ["{name}"]
when = "signals.greet == 1"
[[signals]]
id = "brag"
about = "actor"
ask = "?"
keywords = ["i am great"]
[[endings]]
id = "caught"
kind = "failure"
when = "signals.confess == 1"
title = "Caught"
[[endings]]
id = "free"
kind = "success"
when = "phase == 2 and calm >= 100"
title = "Free"
[script]
fallback = ["What?"]
'''

GOOD = '''
[floor]
precision = 0.9
recall = 0.5
names = 1.0

[[entry]]
text = "I'm not saying I did it."
fires = []
kind = "negation"
phase = 2

[[entry]]
text = "Fine. I did it."
fires = ["confess"]
phase = 2

[[entry]]
text = "Hello, I did it"
fires = ["greet"]

[[entry]]
text = "Hello there, I'm Sam."
fires = ["greet", "named"]
fired = ["greet"]
name = "Sam"

[[entry]]
text = "Sam."
fires = ["named"]
fired = ["greet"]
asked = true
name = "Sam"
'''


def make(tmp_path: Path, corpus: str) -> Path:
    folder = tmp_path / "c"
    (folder / "tests").mkdir(parents=True)
    (folder / "scene.toml").write_text(SCENE, encoding="utf-8")
    (folder / "tests" / "understanding.toml").write_text(corpus, encoding="utf-8")
    return folder / "tests" / "understanding.toml"


@pytest.mark.parametrize("file", BUILTIN, ids=[p.parent.parent.name for p in BUILTIN])
def test_built_in_corpora_reach_their_floors(file: Path) -> None:
    corpus = load_corpus(file)
    score = evaluate(corpus)
    assert not score.below(corpus.floor), "\n".join(f"{m.text!r}: expected {m.expected}, got {m.got}"
                                                      for m in score.misses)


@pytest.mark.parametrize("file", BUILTIN, ids=[p.parent.parent.name for p in BUILTIN])
def test_built_in_corpora_are_big_and_balanced(file: Path) -> None:
    entries = tomllib.loads(file.read_text(encoding="utf-8"))["entry"]
    assert len(entries) >= 40
    negatives = [e for e in entries if not e["fires"] or e.get("kind") in NEGATIVE_KINDS]
    assert len(negatives) >= 0.4 * len(entries), "negatives: denials, questions, quotations, lookalikes"
    kinds = {e.get("kind") for e in entries}
    assert {"negation", "question", "paraphrase", "assertion"} <= kinds
    assert any("name" in e for e in entries)


def test_the_welcome_corpus_tries_every_way_of_giving_a_name() -> None:
    entries = tomllib.loads((SCENES / "welcome/tests/understanding.toml").read_text(encoding="utf-8"))["entry"]
    names = [e for e in entries if "name" in e]
    assert len([e for e in names if e["name"]]) >= 20 and len([e for e in names if not e["name"]]) >= 15


def test_the_offline_matcher_beats_plain_keywords_on_precision() -> None:
    for file in BUILTIN:
        corpus = load_corpus(file)
        assert evaluate(corpus).precision > evaluate(corpus, plain_keywords).precision, file


def test_scoring_counts_signals_and_names(tmp_path: Path) -> None:
    score = evaluate(load_corpus(make(tmp_path, GOOD)))
    # "Hello, I did it" in phase 1: confess is not ready, so only greet is judged.
    assert (score.true_pos, score.false_pos, score.false_neg) == (5, 0, 0)
    assert (score.names_right, score.names_total, score.lines) == (2, 2, 5)
    assert score.below(load_corpus(make(tmp_path / "again", GOOD)).floor) == []


def test_a_line_labelled_with_nothing_that_fires_is_a_false_positive(tmp_path: Path) -> None:
    corpus = GOOD.replace('text = "I\'m not saying I did it."', 'text = "I did it."')
    score = evaluate(load_corpus(make(tmp_path, corpus)))
    assert (score.true_pos, score.false_pos) == (5, 1)
    assert score.precision == pytest.approx(5 / 6)
    assert score.misses[0].text == "I did it." and score.misses[0].got == "[confess ('i did it')]"
    assert score.below(load_corpus(make(tmp_path / "b", corpus)).floor) == ["precision 0.83 < 0.90"]


def test_a_missed_line_and_a_wrong_name_are_reported(tmp_path: Path) -> None:
    corpus = GOOD.replace('text = "Fine. I did it."', 'text = "Fine. Guilty."')
    corpus = corpus.replace('name = "Sam"\n', 'name = ""\n', 1)
    score = evaluate(load_corpus(make(tmp_path, corpus)))
    assert score.false_neg == 1 and score.names_right == 1
    assert [(m.expected, m.got) for m in score.misses] == [("[confess]", "[]"), ("name ''", "name 'Sam'")]


def test_the_corpus_measures_exactly_the_offline_decision(tmp_path: Path) -> None:
    corpus = load_corpus(make(tmp_path, GOOD))
    calls: list[tuple[str, str]] = []

    def spy(signal, utterance, context):  # type: ignore[no-untyped-def]
        calls.append((signal.id, utterance.text))
        return offline_decision(signal, utterance, context)

    assert evaluate(corpus, spy).misses == evaluate(corpus).misses
    assert ("confess", "Fine. I did it.") in calls and ("brag", "Fine. I did it.") not in calls
    signal = next(s for s in corpus.scene.signals if s.id == "named")
    assert offline_decision(signal, analyse("Sam."), Context(name_asked=True)) == \
        offline_fires(signal, "Sam.", Context(name_asked=True))


@pytest.mark.parametrize(("change", "problem"), [
    (('fires = ["confess"]', 'fires = ["confesss"]'), "entry[1].fires: 'confesss' no such player signal (known: "),
    (('fires = ["confess"]', 'fires = ["brag"]'), "entry[1].fires: 'brag' is about the actor"),
    (('phase = 2\n\n[[entry]]\ntext = "Fine', 'state = { calmness = 3 }\n\n[[entry]]\ntext = "Fine'),
     "entry[0].state.calmness: no state variable 'calmness' (known: calm)"),
    (('fires = ["confess"]\nphase = 2', 'fires = ["confess"]'),
     "entry[1].fires: 'confess' cannot fire in this state (when = 'phase == 2')"),
    (('fires = ["named"]\nfired = ["greet"]', 'fires = ["named"]'), "entry[4].fires: 'named' cannot fire"),
    (('kind = "negation"', 'kind = "denial"'), "entry[0].kind: expected 'assertion'"),
    (('kind = "negation"', 'knd = "negation"'), "entry[0].knd: unknown key"),
    (("phase = 2", "phase = 7"), "entry[0].phase: no phase 7 (known: 1, 2)"),
    (("recall = 0.5", "recall = 5"), "floor.recall:"),
    (("[floor]", "[floors]"), "floors: unknown key"),
    (('fired = ["greet"]\nname', 'fired = ["grete"]\nname'), "entry[3].fired: 'grete' no such player signal"),
])
def test_bad_corpora_say_where(tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    assert change[0] in GOOD
    with pytest.raises(SceneError) as e:
        load_corpus(make(tmp_path, GOOD.replace(change[0], change[1], 1)))
    assert any(problem in p and p.startswith(("c/tests/understanding.toml:", str(tmp_path)))
               for p in e.value.problems), e.value.problems


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="invalid TOML"):
        load_corpus(make(tmp_path, "[floor\n"))


def test_finding_corpora_and_plays(tmp_path: Path) -> None:
    file = make(tmp_path, GOOD)
    (file.parent / "a.play").write_text("wait 1\n", encoding="utf-8")
    scene = file.parent.parent
    assert find_corpus_files(scene) == [file] == find_corpus_files(tmp_path) == find_corpus_files(file)
    assert find_corpus_files(file.parent / "a.play") == []
    assert find_play_files(file) == [] and find_play_files(scene) == [file.parent / "a.play"]


def test_the_test_command_reports_scores_and_wrong_lines(tmp_path: Path) -> None:
    file = make(tmp_path, GOOD.replace('text = "Fine. I did it."', 'text = "Fine. Guilty."'))
    result = CliRunner().invoke(cli, ["test", str(file.parent.parent)])
    assert result.exit_code == 0, result.output
    assert "ok   " in result.output and "recall 0.80 (floor 0.50)" in result.output
    assert "wrong: 'Fine. Guilty.' expected [confess] got []" in result.output
    assert result.output.strip().endswith("1 passed, 0 failed")


def test_the_test_command_fails_under_a_floor(tmp_path: Path) -> None:
    file = make(tmp_path, GOOD.replace("recall = 0.5", "recall = 0.9").replace(
        'text = "Fine. I did it."', 'text = "Fine. Guilty."'))
    result = CliRunner().invoke(cli, ["test", str(file)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "under the floor: recall 0.80 < 0.90" in result.output


def test_the_test_command_fails_on_a_bad_corpus(tmp_path: Path) -> None:
    file = make(tmp_path, GOOD.replace('fires = ["confess"]', 'fires = ["nope"]'))
    result = CliRunner().invoke(cli, ["test", str(file)])
    assert result.exit_code == 1 and "entry[1].fires: 'nope' no such player signal" in result.output
