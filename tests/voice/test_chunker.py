"""SentenceChunker: sentence boundaries, clause cuts, tags, and streaming equivalence."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digital_actors.voice.chunker import SentenceChunker, sentences


def whole(text: str, **options: int) -> list[str]:
    chunker = SentenceChunker(**options)
    return chunker.feed(text) + chunker.flush()


def streamed(text: str, cuts: list[int], **options: int) -> list[str]:
    chunker = SentenceChunker(**options)
    out: list[str] = []
    last = 0
    for cut in [*sorted(cuts), len(text)]:
        out += chunker.feed(text[last:cut])
        last = max(last, cut)
    return out + chunker.flush()


CASES = [
    ("Hello there. How are you?", ["Hello there.", "How are you?"]),
    ("Stop! Now!! Why?!", ["Stop!", "Now!!", "Why?!"]),
    ("Dr. Smith is here. Go.", ["Dr. Smith is here.", "Go."]),
    ("Mr. and Mrs. Lee left. Fine.", ["Mr. and Mrs. Lee left.", "Fine."]),
    ("Lt. Cmdr. Smith speaking. Over.", ["Lt. Cmdr. Smith speaking.", "Over."]),
    ("Bring tools, e.g. the wrench. Hurry.", ["Bring tools, e.g. the wrench.", "Hurry."]),
    ("Bring tools, e.g. Wrenches. Hurry.", ["Bring tools, e.g. Wrenches.", "Hurry."]),
    ("He served in the U.S. Navy. Proudly.", ["He served in the U.S. Navy.", "Proudly."]),
    ("It is 2.5 miles. Go.", ["It is 2.5 miles.", "Go."]),
    ("Pressure at 3.14159 bar. Rising.", ["Pressure at 3.14159 bar.", "Rising."]),
    ("See No. 5 on the list. Now.", ["See No. 5 on the list.", "Now."]),
    ("I said no. Then he left.", ["I said no.", "Then he left."]),
    ("J. R. Smith called. Answer.", ["J. R. Smith called.", "Answer."]),
    ("Wait... what was that?", ["Wait... what was that?"]),
    ("Wait... Listen. Hear it?", ["Wait...", "Listen.", "Hear it?"]),
    ("Wait… Listen.", ["Wait…", "Listen."]),
    ('He said, "Go." Then silence.', ['He said, "Go."', "Then silence."]),
    ('"Stop!" she said. Fine.', ['"Stop!" she said.', "Fine."]),
    ("He whispered 'run.' I ran.", ["He whispered 'run.'", "I ran."]),
    ("(Quietly.) Are you there?", ["(Quietly.)", "Are you there?"]),
    ("It’s over.” She wept.", ["It’s over.”", "She wept."]),
    ("I thought—no. Never mind.", ["I thought—no.", "Never mind."]),
    ("Wait – what? Tell me.", ["Wait – what?", "Tell me."]),
    ("[sighs] Fine. Let's go.", ["[sighs] Fine.", "Let's go."]),
    ("Okay. [sighs] Let's go.", ["Okay.", "[sighs] Let's go."]),
    ("Go now. [door slams]", ["Go now.", "[door slams]"]),
    ("[static] [beep] Is anyone there?", ["[static] [beep] Is anyone there?"]),
    ("Is anyone there? [static]\n[static] Anyone?", ["Is anyone there?", "[static] [static] Anyone?"]),
    ("It's fine [whispers. no. really] ok.", ["It's fine [whispers. no. really] ok."]),
    ("Line one\nLine two", ["Line one", "Line two"]),
    ("No terminator at the end", ["No terminator at the end"]),
    ("   ", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentences(text: str, expected: list[str]) -> None:
    assert whole(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_token_by_token_gives_the_same_sentences(text: str, expected: list[str]) -> None:
    assert streamed(text, list(range(len(text)))) == expected


def test_a_sentence_is_released_as_soon_as_the_next_one_starts() -> None:
    chunker = SentenceChunker()
    assert chunker.feed("The hatch is sealed.") == []  # "." could still be "2.5" or "Dr."
    assert chunker.feed(" ") == []
    assert chunker.feed("W") == ["The hatch is sealed."]
    assert chunker.feed("e have") == []
    assert chunker.flush() == ["We have"]


@pytest.mark.parametrize("first", ["Yes.", "No.", "Go!", "Why?", "Hm.", "Okay…", "Sir."])
def test_a_short_first_sentence_is_not_held_for_length(first: str) -> None:
    """A one-word first sentence goes to the voice with the next word, like any other."""
    chunker = SentenceChunker()
    assert chunker.feed(first) == []
    assert chunker.feed(" Then") == [first]


def test_a_tag_split_across_deltas_is_never_cut() -> None:
    chunker = SentenceChunker()
    out = chunker.feed("Fine. [whis")
    out += chunker.feed("pers. quietly] now go.")
    assert out + chunker.flush() == ["Fine.", "[whispers. quietly] now go."]


def test_a_bracket_that_never_closes_is_text_at_the_end() -> None:
    """Held back while it might be a tag still arriving; at the end it is text and the sentences
    after it are cut as usual."""
    chunker = SentenceChunker()
    assert chunker.feed("Hi [oops. Next one") == []
    assert chunker.flush() == ["Hi [oops.", "Next one"]


def test_flush_empties_the_chunker() -> None:
    chunker = SentenceChunker()
    assert chunker.feed("One. [sighs]\n") == ["One."]
    assert chunker.flush() == ["[sighs]"]  # a tag alone still reaches the voice, once
    assert chunker.flush() == []


@pytest.mark.parametrize("clause", ["abcd efgh ijkl mnop,",  # ends at min_clause_chars (20): long enough
                                    "abcd efgh ijkl mnop qrst uvwx abcd efgh ijkl mnop qrst uvwx,"])  # 60: the limit
def test_a_clause_cut_may_fall_exactly_on_either_limit(clause: str) -> None:
    rest = "and then it goes on and on without any stop at all here and more"
    assert whole(f"{clause} {rest}") == [clause, rest]


@pytest.mark.parametrize(("text", "expected"), [
    ('"Dr. Watson is in." Next', ['"Dr. Watson is in."', "Next"]),  # a title after an opening quote
    ("We called NASA. They came.", ["We called NASA.", "They came."]),  # capitals, but not an initial
    ("[Sighs. Softly] yes. Go", ["[Sighs. Softly] yes.", "Go"]),  # a tag at the very start is skipped whole
    ("[a][Sighs. Softly] yes. Go", ["[a][Sighs. Softly] yes.", "Go"]),  # a tag right after a tag
    # a "[" whose "]" is further than any tag can be long is text, and the sentence inside it ends
    ("Look [this aside runs long. Then it goes on and on] and ends. Next",
     ["Look [this aside runs long.", "Then it goes on and on] and ends.", "Next"]),
])
def test_sentence_ends_around_quotes_capitals_and_tags(text: str, expected: list[str]) -> None:
    assert whole(text) == expected


LONGEST_TAG = "Sighs. Softly" + "x" * 28  # 41 characters: MAX_TAG_CHARS


@pytest.mark.parametrize(("text", "expected"), [
    ("Hi []. Yes] no. Go", ["Hi [].", "Yes] no.", "Go"]),  # an empty tag closes at once
    (f"[{LONGEST_TAG}] go. Next", [f"[{LONGEST_TAG}] go.", "Next"]),
    (f"[{LONGEST_TAG}y] go. Next", ["[Sighs.", f"{LONGEST_TAG[7:]}y] go.", "Next"]),  # one more: not a tag
])
def test_a_tag_is_at_most_max_tag_chars_long(text: str, expected: list[str]) -> None:
    assert whole(text) == expected


def test_while_streaming_only_a_bracket_that_may_still_close_is_waited_for() -> None:
    far = "Look [this aside runs long. Then it goes on and on] and ends. Next"
    assert SentenceChunker().feed(far) == ["Look [this aside runs long.", "Then it goes on and on] and ends."]
    chunker = SentenceChunker()
    assert chunker.feed("Still going on and on and on and on [Sighs. S") == []  # a tag may be arriving
    assert chunker.feed("oftly] go.") == []
    assert chunker.flush() == ["Still going on and on and on and on [Sighs. Softly] go."]
    assert SentenceChunker().feed("[Sighs. S" + "x" * 33) == []  # 42 characters from "[": may still close


def test_blank_lines_first_hold_nothing_back() -> None:
    assert SentenceChunker().feed("\n\nHello. Wor") == ["Hello."]


def test_a_sentence_that_ends_at_the_clause_limit_is_not_cut() -> None:
    sentence = "abcd efgh ijkl mnop, " + "x" * 39 + "."  # its "." is character 60, the first piece's limit
    assert whole(f"{sentence} Next") == [sentence, "Next"]


SMALL = {"min_clause_chars": 5, "first_clause_chars": 10, "clause_chars": 10, "hard_chars": 20}


@pytest.mark.parametrize(("text", "expected"), [
    ("abcdefghijklmnopqrst" + "u" * 10, ["abcdefghijklmnopqrstu", "u" * 9]),  # no space: cut past hard_chars
    ("aaaaa " + "b" * 25, ["aaaaa", "b" * 21, "b" * 4]),  # a space exactly at min_clause_chars is usable
    ("aa bb cc dd ee ff gg hh ii jj kk ll", ["aa bb cc dd ee ff gg", "hh ii jj kk ll"]),  # the last space, at 20
])
def test_the_hard_cut_takes_the_last_usable_space(text: str, expected: list[str]) -> None:
    assert whole(text, **SMALL) == expected


A30, B40 = "a" * 30, "b" * 40


@pytest.mark.parametrize(("text", "expected"), [
    (f"{A30} word - {B40} more", [f"{A30} word -", f"{B40} more"]),  # a hyphen with a space each side: a dash
    (f"{A30} well-known {B40} more", [f"{A30} well-known {B40} more"]),  # inside a word: no break
    (f"{A30} word -{B40} more", [f"{A30} word -{B40} more"]),
    (f"{A30} word- {B40} more", [f"{A30} word- {B40} more"]),
    ("a" * 60 + " word -", ["a" * 60 + " word -"]),  # at the very end
])
def test_only_a_spaced_hyphen_is_a_clause_mark(text: str, expected: list[str]) -> None:
    assert whole(text, first_clause_chars=50, clause_chars=50, min_clause_chars=10, hard_chars=200) == expected


def test_long_sentence_is_cut_at_a_clause() -> None:
    text = ("The reactor is venting into the aft compartment, the pumps are failing one by one, "
            "and I need you to open the valve now.")
    pieces = whole(text, first_clause_chars=60, clause_chars=60, min_clause_chars=20)
    assert pieces[0] == "The reactor is venting into the aft compartment,"
    assert " ".join(pieces) == text
    assert all(len(p) <= 80 for p in pieces[:-1])


def test_first_piece_is_cut_sooner_than_later_ones() -> None:
    clause = "one two three four five six seven, "  # 35 characters
    pieces = whole(clause * 8, first_clause_chars=40, clause_chars=100, min_clause_chars=10)
    assert pieces[0] == clause.strip()
    assert [len(p) for p in pieces[1:-1]] == [69, 69, 69]


def test_clause_cut_at_dash_and_hard_cut_without_any_break() -> None:
    dashed = "a" * 30 + " word — " + "b" * 40 + " more words here"
    pieces = whole(dashed, first_clause_chars=50, clause_chars=50, min_clause_chars=10, hard_chars=200)
    assert pieces[0].endswith("—")
    endless = " ".join(["word"] * 100)
    pieces = whole(endless, first_clause_chars=50, clause_chars=50, min_clause_chars=10, hard_chars=120)
    assert all(len(p) <= 121 for p in pieces)
    assert " ".join(pieces) == endless


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([
        "Dr. Smith", "said", "2.5", "...", "Go!", "[sighs]", "\"Run.\"", "e.g.", "U.S.", "wait,",
        "— no", "The end.", "[static]", "fine?", "(laughs)", "It's", "really", "now.", "\n", "A.",
    ]), max_size=40),
    st.randoms(use_true_random=False),
)
def test_streaming_equivalence_on_random_texts(words: list[str], rnd: random.Random) -> None:
    text = " ".join(words)
    cuts = [rnd.randrange(len(text) + 1) for _ in range(rnd.randrange(1, 12))]
    options = {"first_clause_chars": 40, "clause_chars": 60, "min_clause_chars": 12, "hard_chars": 90}
    expected = whole(text, **options)
    assert streamed(text, cuts, **options) == expected
    assert all(p.strip() == p and p for p in expected)


async def test_async_helper_yields_sentences_in_order() -> None:
    async def deltas():
        for piece in ["Hel", "lo. Dr", ". Who", " is th", "ere? Bye"]:
            yield piece

    assert [s async for s in sentences(deltas())] == ["Hello.", "Dr. Who is there?", "Bye"]


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        SentenceChunker(first_clause_chars=10, min_clause_chars=20)
