"""When a typed word may stand for a keyword's word (understanding/spelling.py)."""

from __future__ import annotations

import pytest

from digital_actors.understanding.spelling import common_words, same_lemma, same_spelling, typo_distance


def test_the_common_words_are_the_frequent_ones_and_only_words() -> None:
    words = common_words()
    assert 19_000 <= len(words) <= 20_000
    assert {"hell", "harry", "shall", "cold", "were", "thinks", "hurry"} <= words
    assert not {"confes", "enginer", "helo", "honney", "watremark", "hyperbarik"} & words
    assert all(w.isalpha() and w.islower() for w in words)


@pytest.mark.parametrize(("a", "b"), [
    ("vent", "vents"), ("changes", "changed"), ("change", "changing"), ("tires", "tired"), ("try", "tried"),
    ("battery", "batteries"), ("box", "boxes"), ("breath", "breathe"), ("closed", "close"),
])
def test_regular_forms_of_one_word(a: str, b: str) -> None:
    assert same_lemma(a, b) and same_lemma(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("hell", "hello"), ("cares", "cars"), ("card", "cared"), ("tried", "tired"), ("killer", "killed"),
    ("thing", "think"), ("doing", "dying"), ("lived", "loved"), ("boss", "bos"),
])
def test_other_words_are_not_forms_of_each_other(a: str, b: str) -> None:
    assert not same_lemma(a, b) and not same_lemma(b, a)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("colour", "color", True), ("apologise", "apologize", True), ("centre", "center", True),
    ("defence", "defense", True), ("dialogue", "dialog", True), ("flour", "floor", False), ("fourth", "forth", False),
    ("theatre", "theater", True), ("rise", "rize", False),
])
def test_british_and_american_spellings(a: str, b: str, same: bool) -> None:
    assert same_spelling(a, b) is same and same_spelling(b, a) is same


@pytest.mark.parametrize(("keyword", "typed", "distance"), [
    ("hello", "helo", 1), ("confess", "confes", 1), ("engineer", "enigneer", 1), ("watermark", "watremark", 1),
    ("hello", "hell", None), ("hurry", "harry", None), ("shell", "shall", None), ("egg", "eg", None),
    ("engineer", "pngineer", None), ("vents", "vent", 1), ("favourite", "favorite", 1), ("honey", "h0ney", None),
])
def test_typo_distance(keyword: str, typed: str, distance: int | None) -> None:
    assert typo_distance(keyword, typed) == distance
