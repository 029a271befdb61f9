"""Audio tags: display stripping (batch and streamed), voice preparation, sound-effect pauses."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digital_actors.voice.tags import (
    SOUND_EFFECTS,
    Segment,
    TagFilter,
    find_tags,
    is_stage_direction,
    prepare_for_voice,
    sound_effect_pause,
    strip_tags,
)


def test_strip_and_find_keep_their_behaviour() -> None:
    text = "[static] Is anyone there? [sighs] Anyone [whispers] aft [sighs]?"
    assert strip_tags(text) == "Is anyone there? Anyone aft?"
    assert find_tags(text) == ["static", "sighs", "whispers", "sighs"]
    assert strip_tags("homicide? ...Good") == "homicide? ...Good"  # the writer's spacing stays
    assert strip_tags("Hello [click, dial tone] gone.") == "Hello gone."
    assert strip_tags("Tell Adrian... [coughing] tell him I...") == "Tell Adrian... tell him I..."


@pytest.mark.parametrize(("text", "performs", "expected"), [
    ("[sighs] Fine.", False, [Segment("Fine.")]),
    ("[sighs] Fine.", True, [Segment("[sighs] Fine.")]),
    ("I *sighs* can't.", False, [Segment("I can't.")]),
    ("I (laughs nervously) can't.", True, [Segment("I can't.")]),
    ("It's (which I doubt) fine.", False, [Segment("It's (which I doubt) fine.")]),
    ("I *really* mean it.", False, [Segment("I really mean it.")]),
    ("*quietly* Stay down.", False, [Segment("Stay down.")]),
    ("[static] Is anyone there?", True, [Segment(pause_ms=500), Segment("Is anyone there?")]),
    ("Get down [explosion]! Now.", False,
     [Segment("Get down!"), Segment(pause_ms=800), Segment("Now.")]),
    ("Wait [door slams] [beep] what?", False,
     [Segment("Wait"), Segment(pause_ms=750), Segment("what?")]),
    ("[distant explosion]", True, [Segment(pause_ms=800)]),
    ("[sighs]", False, []),
    ("[sighs]", True, [Segment("[sighs]")]),
    ("[long pause] Go.", False, [Segment(pause_ms=800), Segment("Go.")]),
])
def test_prepare_for_voice(text: str, performs: bool, expected: list[Segment]) -> None:
    assert prepare_for_voice(text, performs) == expected


def test_pauses_are_capped() -> None:
    segments = prepare_for_voice("[explosion] [explosion] [thunder] Run.", False)
    assert segments[0] == Segment(pause_ms=1500)


def test_sound_effects_and_directions_are_recognised() -> None:
    assert sound_effect_pause("Door slams shut") == SOUND_EFFECTS["door slams"]
    assert sound_effect_pause("radio static") == 500
    assert sound_effect_pause("sighs") is None
    assert sound_effect_pause("whispers") is None
    assert is_stage_direction("clears throat")
    assert is_stage_direction("softly")
    assert not is_stage_direction("which I doubt")
    assert not is_stage_direction("really")


@pytest.mark.parametrize("text", [
    "[static] Is anyone there? Anyone aft?",
    "Okay [sighs] fine [whispers] go.",
    "Hello [sighs].",
    "A [b] c [d",
    "Array[1] and [not a tag because it is far far far too long to be one] ok",
    "[sighs][laughs] double",
    "Trailing tag [door slams]",
])
def test_tag_filter_char_by_char_equals_strip_tags(text: str) -> None:
    tag_filter = TagFilter()
    shown = "".join(tag_filter.feed(ch) for ch in text) + tag_filter.flush()
    assert shown == strip_tags(text)


def test_tag_filter_holds_back_a_split_tag_only() -> None:
    tag_filter = TagFilter()
    assert tag_filter.feed("Hold on [sig") == "Hold on"
    assert tag_filter.feed("hs] now") == " now"
    assert tag_filter.feed(" [1 2]") == " [1 2]"
    assert tag_filter.flush() == ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["word", " ", "[sighs]", "[", "]", ".", ",", "x y", "[door",
                                 " slams]", "?", "\t"]), max_size=30),
       st.randoms(use_true_random=False))
def test_tag_filter_random_splits(parts: list[str], rnd: random.Random) -> None:
    text = "".join(parts)
    tag_filter = TagFilter()
    shown = ""
    i = 0
    while i < len(text):
        step = rnd.randint(1, 5)
        shown += tag_filter.feed(text[i:i + step])
        i += step
    assert shown + tag_filter.flush() == strip_tags(text)
