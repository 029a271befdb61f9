"""The documented rules: difficulty, personality, relationship, names, notable memories."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digital_actors.memory import rules
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.wording import count_harsh, count_kind, detect_name


@pytest.mark.parametrize(("attempts", "successes", "expected"), [
    (0, 0, "normal"), (1, 0, "normal"), (2, 0, "easy"), (5, 0, "easy"), (2, 1, "normal"),
    (2, 2, "hard"), (3, 2, "hard"), (4, 2, "normal"), (6, 4, "hard"), (1, 1, "normal"),
])
def test_difficulty(attempts: int, successes: int, expected: str) -> None:
    assert rules.difficulty_for(attempts, successes) == expected


def test_personality_moves_toward_the_attempt_and_ignores_missing_evidence() -> None:
    start = rules.update_personality(None, AttemptStats(), "quit")
    assert start == dict.fromkeys(rules.TRAITS, 50.0)  # no evidence, no change
    hasty = AttemptStats(rapid_actions=6, interruptions=4, lines_said=6)
    after = rules.update_personality(start, hasty, "failure")
    assert after["impulsiveness"] > 60 and after["patience"] == 40.0
    assert after["cooperation"] == 50.0  # nothing said about cooperation this time
    assert after["problem_solving"] < 50  # failure is evidence
    patient = AttemptStats(patient_waits=5, correct_actions=4, kind_words=3, lines_said=5)
    calm = rules.update_personality(after, patient, "success")
    assert calm["patience"] > after["patience"] and calm["impulsiveness"] < after["impulsiveness"]
    assert calm["cooperation"] > 60 and calm["problem_solving"] > after["problem_solving"]


@given(st.builds(AttemptStats, *(st.integers(0, 10_000) for _ in range(9))),
       st.sampled_from(["success", "failure", "quit", "abandoned"]),
       st.dictionaries(st.sampled_from(rules.TRAITS), st.floats(0, 100)))
def test_rules_stay_in_range(stats: AttemptStats, outcome: str, current: dict[str, float]) -> None:
    for value in rules.update_personality(current, stats, outcome).values():
        assert 0 <= value <= 100
    trust, familiarity = rules.update_relationship(current.get("patience"), current.get("cooperation"),
                                                   stats, outcome)
    assert 0 <= trust <= 100 and 0 <= familiarity <= 100


def test_relationship_rules() -> None:
    assert rules.update_relationship(None, None, AttemptStats(), "success") == (58.0, 15.0)
    assert rules.update_relationship(None, None, AttemptStats(), "failure")[0] == 45.0
    rude = AttemptStats(harsh_words=10, interruptions=10)
    assert rules.trust_delta(rude, "quit") == -12.0  # each source capped at 6
    assert rules.trust_delta(AttemptStats(kind_words=9), "success") == 14.0
    f, steps = 0.0, []
    for _ in range(10):
        _, f = rules.update_relationship(50, f, AttemptStats(), "quit")
        steps.append(f)
    gains = [b - a for a, b in itertools.pairwise([0.0, *steps])]
    assert all(later < earlier for earlier, later in itertools.pairwise(gains))
    assert 79 < steps[-1] < 81


@pytest.mark.parametrize(("lines", "name"), [
    (["my name is alex"], "Alex"), (["Call me Ishmael."], "Ishmael"), (["I'm Sam, get me out"], "Sam"),
    (["I'm scared", "I am fine"], None), (["i'm here"], None), (["This is Dana speaking"], "Dana"),
    (["I'm Jo", "actually, my name's Joanna"], "Joanna"), (["hello?"], None),
])
def test_detect_name(lines: list[str], name: str | None) -> None:
    assert detect_name(lines) == name


def test_kind_and_harsh_words() -> None:
    assert count_kind("Please, thank you. You can do it!") == 3
    assert count_harsh("shut up, you idiot, hurry up") == 3
    assert count_kind("pleased to meet you") == 0


def test_notable_memories() -> None:
    notes = rules.notable_memories(
        outcome="success", ending_id="surfaced", ending_title="Back to the surface",
        stats=AttemptStats(interruptions=3, kind_words=2, patient_waits=1),
        player_lines=["Hi, my name is Alex", "please hold on"], choices=["Blow ballast", "Blow ballast", "Seal"])
    texts = [n.text for n in notes]
    assert texts[0] == "They told me their name is Alex." and notes[0].weight == 1.0
    assert any("Back to the surface" in t for t in texts)
    assert "They were kind to me." in texts
    assert any("cutting me off (3 times)" in t for t in texts)
    assert "They chose to: Blow ballast, Seal." in texts
    quiet = rules.notable_memories(outcome="quit", ending_id=None, ending_title=None,
                                   stats=AttemptStats(harsh_words=2, patient_waits=4), player_lines=[])
    assert [n.text for n in quiet] == ["Last time they walked away before it was over.",
                                       "They were harsh with me.", "They listened and let me finish."]


def test_stats_round_trip_tolerates_unknown_keys() -> None:
    stats = AttemptStats(interruptions=2, kind_words=1)
    data = json.loads(stats.to_json())
    assert AttemptStats.from_mapping({**data, "from_the_future": 9}) == stats
