"""Terse lines are read whole: a bare acknowledgement, refusal or question, never a word inside a longer line."""

from __future__ import annotations

import pytest

from digital_actors.scene.model import Signal
from digital_actors.understanding import find_keyword, find_name, offline_fires, terse_kind

CASES = [
    ("ok", "yes"), ("OK.", "yes"), ("k", "yes"), ("Yeah, got it.", "yes"), ("um ok", "yes"), ("ok sir", "yes"),
    ("sure thing!", "yes"), ("copy that", "yes"), ("yes yes yes", "yes"),
    ("no", "no"), ("Nope.", "no"), ("No way!", "no"), ("not really", "no"), ("I don't think so", "no"),
    ("no no no", "no"),
    ("what?", "what"), ("huh", "what"), ("why", "what"), ("go on", "what"), ("and?", "what"), ("who?", "what"),
    ("sorry?", "what"), ("Hmm?", "what"),
    # asked, an acknowledgement or a refusal is a question; mocked, it refuses; the last phrase decides
    ("ok?", "what"), ("yes?", "what"), ("no?", "what"), ("yeah right", "no"), ("oh sure", "no"),
    ("no... why?", "what"), ("what? no way", "no"),
    # not terse: a line that says something, an apology, a hesitation, a name
    ("are they going to be ok?", None), ("ok but why", None), ("sorry", None), ("hmm", None), ("", None),
    ("okay Maren", None), ("I'm ready", None), ("what do I do", None), ("yes I was home", None),
]


@pytest.mark.parametrize(("text", "kind"), CASES, ids=[repr(t) for t, _ in CASES])
def test_terse_kind(text: str, kind: str | None) -> None:
    assert terse_kind(text) == kind


def test_a_placeholder_matches_the_whole_line_never_a_word_inside_it() -> None:
    assert find_keyword("Yeah ok.", ["{yes}"]) is not None
    assert find_keyword("Are they going to be ok?", ["{yes}"], strength="mentioned") is None
    assert find_keyword("ok", ["okay"]) is not None  # the word itself still matches as a keyword...
    assert find_keyword("Are they going to be ok?", ["okay"], strength="mentioned") is not None  # ...anywhere
    assert find_keyword("What?", ["{yes}", "{no}"]) is None
    assert find_keyword("What do you mean?", ["{what}"], strength="mentioned") is not None


def test_a_placeholder_wins_over_a_longer_keyword_in_the_same_line() -> None:
    match = find_keyword("go on then", ["go on then", "{what}"], strength="mentioned")
    assert match is not None and match.keyword == "{what}" and match.text == "go on then"


def test_an_acknowledgement_signal_fires_only_for_a_bare_acknowledgement() -> None:
    listened = Signal(id="listened", ask="Did the player acknowledge?", keywords=["{yes}", "understood"])
    assert offline_fires(listened, "Yeah, sure.") is not None
    assert offline_fires(listened, "Understood, captain.") is not None
    for text in ("ok?", "I'm not ok", "oh sure", "nope", "Is it ok if I sit down?"):
        assert offline_fires(listened, text) is None, text
    refused = Signal(id="refused", ask="Did the player refuse?", keywords=["{no}"])
    assert offline_fires(refused, "Nah.") is not None and offline_fires(refused, "no?") is None


def test_a_bare_interjection_is_no_name_even_when_the_name_was_asked() -> None:
    for text in ("huh", "Hmm.", "whatever", "um"):
        assert find_name(text, asked=True) is None, text
    assert find_name("Sam.", asked=True) == "Sam"
