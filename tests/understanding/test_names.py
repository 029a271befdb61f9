"""The name a player gives for themselves (understanding/names.py) and the memory's view of it."""

from __future__ import annotations

import pytest

from digital_actors.memory.wording import detect_name
from digital_actors.understanding import asks_for_name, find_name
from digital_actors.understanding.names import locate_name


@pytest.mark.parametrize(("text", "name"), [
    ("I'm Sam", "Sam"), ("I am Sam", "Sam"), ("call me Sam", "Sam"), ("you can call me Sam", "Sam"),
    ("name's Sam", "Sam"), ("the name's Sam", "Sam"), ("my name is Sam", "Sam"), ("my name's sam", "Sam"),
    ("Sam here", "Sam"), ("This is Sam", "Sam"), ("Hi Maren, I'm Sam", "Sam"), ("Sam. Sam Reyes.", "Sam Reyes"),
    ("They call me Sam", "Sam"), ("everyone calls me Red", "Red"), ("i'm called jo", "Jo"), ("im priya", "Priya"),
    ("Hello, I'm Tom Baker, nice to meet you", "Tom Baker"), ("Hello Maren, Sam Reyes here", "Sam Reyes"),
    ("Mateo's my name.", "Mateo"), ("I'm Priya, by the way. Priya Nair.", "Priya Nair"),
    ("This is Detective Sam Reyes, homicide.", "Detective Sam Reyes"), ("I'm Dr. Priya Nair", "Dr. Priya Nair"),
    ("my name is sam reyes", "Sam Reyes"), ("call me o'brien", "O'Brien"), ("I'm Ana-Maria", "Ana-Maria"),
    ("I'm McAdams", "McAdams"), ("MY NAME IS SAM", "Sam"), ("I'm Sam, get me out", "Sam"),
    ("This is Dana speaking", "Dana"), ("I'm José", "José"), ("I'm Sam and I'm scared", "Sam"),
])
def test_names_in_every_common_form(text: str, name: str) -> None:
    assert find_name(text) == name


@pytest.mark.parametrize(("text", "name"), [
    ("It's Sam, Sam Reyes", "Sam Reyes"), ("Sam.", "Sam"), ("sam", "Sam"), ("um, Rosa", "Rosa"),
    ("Sam Reyes.", "Sam Reyes"), ("it's kofi", "Kofi"),
])
def test_a_bare_name_answers_a_question(text: str, name: str) -> None:
    assert find_name(text, asked=True) == name


@pytest.mark.parametrize("text", ["Sam.", "sam", "It's Sam", "It's Danny, isn't it?"])
def test_a_bare_word_unasked_is_no_name(text: str) -> None:
    assert find_name(text) is None


@pytest.mark.parametrize("text", [
    "I'm scared", "I'm not sure", "I'm here", "call me crazy", "Call me crazy, but the lamp is broken",
    "It's fine", "this is bad", "I'm Sorry", "I'M SO COLD", "I'm Sorry, I Didn't Catch That.",
    "I'm Going To Wind It Now", "i'm lost", "im ready", "I'm the new keeper", "I'm a detective",
    "I'm freezing in here", "I'm drowning", "I'm terrified", "Call me when the ship comes.", "call me back",
    "My name is not important", "My name? Why?", "What's your name?", "I'd rather not say my name",
    "This is Maren's lamp?", "This is Curtis we're talking about", "don't call me Sam", "I'm sat here",
    "I'm tired, it's five in the morning.", "It's Friday", "hello?", "I am fine", "i'm okay",
])
def test_lookalikes_are_no_names(text: str) -> None:
    assert find_name(text) is None
    assert find_name(text, asked=True) is None


def test_lookalikes_stay_no_names_when_asked() -> None:
    for text in ("Sorry?", "It's me.", "It's cold up here.", "I'm scared.", "Why?", "no", "What?"):
        assert find_name(text, asked=True) is None, text


def test_the_span_is_where_the_name_was_typed() -> None:
    text = "Hi Maren, I'm sam reyes."
    found = locate_name(text)
    assert found is not None and found.name == "Sam Reyes" and text[found.span[0]:found.span[1]] == "sam reyes"


def test_the_last_name_given_wins_a_correction() -> None:
    assert find_name("I'm Jo, actually my name's Joanna") == "Joanna"


@pytest.mark.parametrize(("line", "asks"), [
    ("What's your name?", True), ("And what do I call you?", True), ("Tell me your name.", True),
    ("Who am I talking to?", True), ("Who is this?", True), ("Name?", True),
    ("Mind the top step.", False), ("I'm Maren, I keep this light.", False),
])
def test_asks_for_name(line: str, asks: bool) -> None:
    assert asks_for_name(line) is asks


def test_memory_delegates_and_keeps_its_contract() -> None:
    assert detect_name(["hello?", "Hi Maren, I'm Sam", "I'm scared"]) == "Sam"
    assert detect_name(["I'm Jo", "actually, my name's Joanna"]) == "Joanna"
    assert detect_name(["Sam here", "call me crazy"]) == "Sam"
    assert detect_name(["I'm scared", "I am fine"]) is None
