"""The streaming clean-up: prefixes, quotes, directions and meta go; real lines stay whole."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digital_actors.llm.cleanup import LineCleaner, name_tokens

NAMES = name_tokens("Lt. Commander James Smith", "engineer")


def clean(text: str, step: int, **options: object) -> str:
    cleaner = LineCleaner(names=NAMES, **options)  # type: ignore[arg-type]
    out = "".join(cleaner.feed(text[i:i + step]) for i in range(0, len(text), step))
    return out + cleaner.flush()


CASES = [
    ("The line's dead.", "The line's dead."),
    ("Smith: The line's dead.", "The line's dead."),
    ("**James:** Listen. *sighs* We go now.", "Listen. We go now."),
    ("**James**: Go.", "Go."),
    ("Lt. Commander James Smith (quietly): Crank it, Aft.", "Crank it, Aft."),
    ('"I need power now."', "I need power now."),
    ("James (quietly): “Go now.”", "Go now."),
    ("As an AI, I cannot pretend to be trapped.", ""),
    ("Get the crank. (Note: this is a roleplay.) Now!", "Get the crank. Now!"),
    ("Turn it.\n\nNote: I kept it short, as asked.", "Turn it."),
    ("Okay.\nPlayer: I won.", "Okay."),
    ("(He looks away.) Fine.", "Fine."),
    ("I need you to *really* pull. (laughs) Go!", "I need you to really pull. Go!"),
    ("Listen: we go on three.", "Listen: we go on three."),
    ("James. James Smith. I run this boat.", "James. James Smith. I run this boat."),
    ("Lt. Smith is here. Go.", "Lt. Smith is here. Go."),
    ("[sighs] Fine, Aft. 2.5 bar, no more.", "[sighs] Fine, Aft. 2.5 bar, no more."),
    ("It's the valve (the red one), not the crank.", "It's the valve (the red one), not the crank."),
    ("Don't say 'dead' to me.", "Don't say 'dead' to me."),
    ("I'm sorry, but we have to flood it.", "I'm sorry, but we have to flood it."),
    ("Note the gauge, Aft. It's climbing.", "Note the gauge, Aft. It's climbing."),
]


@pytest.mark.parametrize("step", [1, 2, 5, 1000])
@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_cleanup_cases(raw: str, expected: str, step: int) -> None:
    assert clean(raw, step) == expected


JUNK = tomllib.loads((Path(__file__).parent / "junk_lines.toml").read_text(encoding="utf-8"))["junk"]


def test_the_junk_corpus_covers_every_kind() -> None:
    kinds = Counter(entry["kind"] for entry in JUNK)
    assert len(JUNK) >= 50
    assert {"json", "stage", "speaker", "meta", "characters"} <= set(kinds)
    assert min(kinds[k] for k in ("json", "stage", "speaker")) >= 10


@pytest.mark.parametrize("step", [1, 3, 1000])
@pytest.mark.parametrize("entry", JUNK, ids=[f"{e['kind']}-{i}" for i, e in enumerate(JUNK)])
def test_junk_becomes_the_spoken_line(entry: dict[str, str], step: int) -> None:
    assert clean(entry["raw"], step) == entry["clean"]


@pytest.mark.parametrize("line", [
    "Here's the plan: we flood it.", "Sure. Pull the crank.", "Okay, here we go.",
    "It *takes* time, Aft.", "[sighs] Fine.", "Sure! Let's go.", "Of course I'm scared.",
    "(the red one) That valve.", "I said: pull.",
])
def test_lines_that_look_like_junk_survive(line: str) -> None:
    expected = {"It *takes* time, Aft.": "It takes time, Aft."}.get(line, line)
    for step in (1, 4, 1000):
        assert clean(line, step) == expected


def test_a_legitimate_line_is_never_truncated_by_the_limit_mid_sentence() -> None:
    line = "The line's dead. I can't hear the med bay at all, Aft. Say something."
    assert clean(line, 3, max_words=3) == "The line's dead."
    assert clean(line, 3, max_words=4) == "The line's dead. I can't hear the med bay at all, Aft."
    assert clean(line, 3, max_words=45) == line


def test_the_limit_ignores_abbreviations_and_stops_run_ons() -> None:
    assert clean("Lt. Smith here. Go now.", 1, max_words=2) == "Lt. Smith here."
    run_on = " ".join(["word"] * 100)
    out = clean(run_on, 7, max_words=10)
    assert out.endswith("—") and len(out.split()) <= 37


def test_done_tells_the_actor_to_stop_reading() -> None:
    cleaner = LineCleaner(names=NAMES, max_words=3)
    assert cleaner.feed("One two three. ") == "One two three."
    assert cleaner.done
    assert cleaner.feed("Four five.") == "" and cleaner.flush() == ""


@given(st.lists(st.sampled_from(["The ", "line's ", "dead", ".", " Aft", ", ", "go", "!", "\n",
                                 "2.5", " bar", "(the red one)", "Lt. ", "Smith", " — ", "I "]),
                max_size=25), st.integers(1, 9))
def test_plain_speech_survives_any_chunking(words: list[str], step: int) -> None:
    text = "".join(words)
    whole = clean(text, 10_000)
    assert clean(text, step) == whole
