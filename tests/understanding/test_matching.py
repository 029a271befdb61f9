"""Keywords found by meaning, not by substring (understanding/matching.py, decide.py)."""

from __future__ import annotations

import pytest

from digital_actors.scene.model import Scene
from digital_actors.text import keyword_hit
from digital_actors.understanding import Context, Strength, find_keyword, offline_fires
from digital_actors.understanding.keywords import parse_keyword
from tests.understanding.conftest import signal


# --- the five failures a tester measured, through the built-in scenes' own signals ----------------
@pytest.mark.parametrize(("scene_id", "signal_id", "text"), [
    ("interrogation", "confession", "I'm not saying I did it."),
    ("iconic_detectives", "accept_story", "Case closed? Not even close."),
    ("life_raft", "hostile", "I don't think it's your fault"),
    ("merlins_workshop", "answer_1", "Definitely not an egg."),
])
def test_the_measured_false_alarms_no_longer_fire(builtin: dict[str, Scene], scene_id: str, signal_id: str,
                                                 text: str) -> None:
    sig = signal(builtin[scene_id], signal_id)
    assert keyword_hit(text, sig.keywords), "the old matcher fired here: the case must stay meaningful"
    assert offline_fires(sig, text) is None


@pytest.mark.parametrize(("text", "asked"), [
    ("I'm Sam", False), ("I am Sam", False), ("call me Sam", False), ("you can call me Sam", False),
    ("name's Sam", False), ("the name's Sam", False), ("my name is Sam", False), ("my name's sam", False),
    ("It's Sam, Sam Reyes", True), ("Sam here", False), ("This is Sam", False), ("Hi Maren, I'm Sam", False),
    ("Sam. Sam Reyes.", False), ("They call me Sam", False), ("Sam.", True),
])
def test_every_way_of_giving_a_name_fires_the_welcome_name_signal(builtin: dict[str, Scene], text: str,
                                                                  asked: bool) -> None:
    match = offline_fires(signal(builtin["welcome"], "gave_name"), text, Context(name_asked=asked))
    assert match is not None and match.keyword == "{name}" and match.text.lower().startswith("sam")


@pytest.mark.parametrize("text", ["I'm scared", "call me crazy, but no", "My name is not important",
                                  "What's your name?", "Sam."])
def test_lookalikes_do_not_fire_it(builtin: dict[str, Scene], text: str) -> None:
    assert offline_fires(signal(builtin["welcome"], "gave_name"), text) is None


def test_the_same_signals_still_fire_on_the_plain_statement(builtin: dict[str, Scene]) -> None:
    assert offline_fires(signal(builtin["interrogation"], "confession"), "Fine. I did it.") is not None
    assert offline_fires(signal(builtin["life_raft"], "hostile"), "It's your fault we're down here!") is not None
    assert offline_fires(signal(builtin["merlins_workshop"], "answer_1"), "Is it an egg?") is not None
    assert offline_fires(signal(builtin["iconic_detectives"], "accept_story"), "I believe you.") is not None


# --- asserted: negation, questions, hypotheticals, quotation, sarcasm ------------------------------
@pytest.mark.parametrize("text", [
    "I didn't say I did it", "I never said I did it", "Nobody thinks I did it", "I wouldn't say I did it",
    "Did I do it?", "did i do it", "I did it?", "Was it me? I did it?",
    "If I did it, I'd tell you", "What if I did it?", "Suppose I did it.", "Imagine I did it",
    "I might have done it... I did it, hypothetically", "Let's say I did it",
    'He said "I did it"', "You said I did it", "They think I did it", "You want me to say I did it",
    "Yeah right, I did it", "Oh sure, I did it", "I did it. And I'm the Pope.", "I did it lol",
])
def test_a_claim_counts_only_when_asserted(text: str) -> None:
    assert find_keyword(text, ["i did it"]) is None
    assert find_keyword(text, ["i did it"], strength="mentioned") is None or "I did it" in text or "i did it" in text


@pytest.mark.parametrize("text", [
    "I did it.", "Yes. I did it.", "I did it, okay?", "No, I did it.", "I'm not sorry: I did it",
    "I really did it", "Fine, I did it because I was angry", "I did it, didn't I", "i did it",
])
def test_asserted_claims_count(text: str) -> None:
    match = find_keyword(text, ["i did it"])
    assert match is not None and match.keyword == "i did it"


def test_mentioned_lets_questions_and_hypotheticals_through_but_not_negation_or_quotation() -> None:
    for text in ("Did you find the crank?", "What if the crank breaks?", "If you want the crank, go down"):
        assert find_keyword(text, ["crank"], strength="mentioned") is not None, text
    for text in ("There's no crank.", 'He said "crank".', "You said crank, not me"):
        assert find_keyword(text, ["crank"], strength="mentioned") is None, text


def test_the_only_keyword_in_its_clause_counts_as_a_question_unless_it_is_a_claim() -> None:
    assert find_keyword("Hello?", ["hello"]) is not None
    assert find_keyword("Thanks?", ["thanks"]) is not None
    assert find_keyword("um, egg?", ["egg"]) is not None
    assert find_keyword("Case closed?", ["case closed"]) is None


def test_a_keyword_that_asks_matches_a_question() -> None:
    assert find_keyword("Are you okay?", ["are you okay"]) is not None
    assert find_keyword("Who's in the med bay?", ["who's in the med bay"]) is not None
    assert find_keyword("Who cares?", ["who cares"]) is not None


def test_a_request_is_not_a_question() -> None:
    assert find_keyword("Can you give me some air?", ["give me some air"]) is not None
    assert find_keyword("Should I give you some air?", ["give you some air"]) is None


def test_things_may_be_asked_about_claims_may_not() -> None:
    assert find_keyword("is it an egg?", ["egg"]) is not None
    assert find_keyword("What about the photograph?", ["the photograph"]) is not None
    assert find_keyword("What if it's honey?", ["honey"]) is not None
    assert find_keyword("Is it your fault?", ["it's your fault"]) is None


def test_speech_acts_open_or_close_a_clause() -> None:
    assert find_keyword("Hello there, Maren", ["hello"]) is not None
    assert find_keyword("Could I have a hint, please", ["please"]) is not None
    assert find_keyword("Do I say hi to the ship?", ["hi"]) is None
    assert find_keyword("Highlight of my evening, this staircase.", ["evening"]) is None
    assert find_keyword("Should I say thanks?", ["thanks"]) is None


def test_negation_covers_what_follows_in_its_clause_only() -> None:
    assert find_keyword("I'm not sure, but I did it", ["i did it"]) is not None
    assert find_keyword("I don't know. I did it.", ["i did it"]) is not None
    assert find_keyword("I don't know why I did it", ["i did it"]) is None
    assert find_keyword("Don't worry, I'm calm", ["i'm calm"]) is not None
    assert find_keyword("It was me, not Danny", ["it was me"]) is not None
    assert find_keyword("My name is not important", ["my name is"]) is None


def test_a_retracted_guess_does_not_count() -> None:
    assert find_keyword("Nut, no wait, egg!", ["nut"]) is None
    assert find_keyword("Nut, no wait, egg!", ["egg"]) is not None
    assert find_keyword("Salt? No, too easy.", ["salt"]) is None


def test_a_keyword_with_a_negation_in_it_still_matches() -> None:
    match = find_keyword("Honestly, I didn't do it.", ["i didn't do it"])
    assert match is not None and match.text == "I didn't do it"
    assert find_keyword("It's not your fault.", ["not your fault"]) is not None
    assert find_keyword("this isnt your fault", ["not your fault"]) is not None
    assert find_keyword("I never said I didn't do it", ["i didn't do it"]) is None  # negated again


# --- words, typos, fillers ---------------------------------------------------------------------------
def test_whole_words_only() -> None:
    assert find_keyword("there you are", ["here"]) is None
    assert find_keyword("eggshell", ["egg"]) is None
    assert find_keyword("I’m HERE!", ["i'm here"]) is not None


@pytest.mark.parametrize(("text", "keyword"), [
    ("i confes", "i confess"), ("the enginer", "engineer"), ("the watremark", "watermark"),
    ("hyperbarik chamber", "hyperbaric"), ("apointment", "appointment"), ("honney", "honey"),
])
def test_small_typos_are_forgiven(text: str, keyword: str) -> None:
    match = find_keyword(text, [keyword])
    assert match is not None and match.fuzzy


@pytest.mark.parametrize(("text", "keyword"), [
    ("ego", "egg"), ("ruth", "truth"), ("bog", "bag"), ("money", "honey"), ("grace", "trace"),
    ("cat", "hat"), ("forgetting", "forgery"),
])
def test_short_words_and_other_first_letters_need_the_exact_word(text: str, keyword: str) -> None:
    assert find_keyword(text, [keyword]) is None


def test_typos_can_be_switched_off() -> None:
    assert find_keyword("i confes", ["i confess"], fuzzy=False) is None


def test_one_filler_word_inside_a_long_keyword_but_never_a_negator() -> None:
    match = find_keyword("I really did it", ["i did it"])
    assert match is not None and match.filler and match.text == "I really did it"
    assert find_keyword("I did not it", ["i did it"]) is None
    assert find_keyword("it was never me", ["it was me"]) is None
    assert find_keyword("just give me the pen", ["just me"]) is None        # two words: no filler
    assert find_keyword("I really truly did it", ["i did it"]) is None      # one filler, not two
    assert find_keyword("I really did it", ["i did it"], filler=False) is None


def test_the_best_match_is_the_longest_then_exact_then_without_filler() -> None:
    match = find_keyword("where is the crank", ["crank", "where is the crank"])
    assert match is not None and match.keyword == "where is the crank" and match.span == (0, 18)
    match = find_keyword("I did it. I really did it.", ["i did it"])
    assert match is not None and not match.filler and match.span == (0, 8)


def test_a_negated_occurrence_does_not_hide_an_asserted_one() -> None:
    match = find_keyword("I didn't do it at first. Then I did it.", ["i did it"])
    assert match is not None and match.span[0] > 20


def test_placeholders_are_not_words() -> None:
    assert find_keyword("what's your name", ["{name}"]) is None
    assert keyword_hit("what's your name", ["{name}"]) is None


@pytest.mark.parametrize(("keyword", "kind", "asks"), [
    ("i did it", "claim", False), ("case closed", "claim", False), ("take your time", "claim", False),
    ("off the record", "claim", False), ("are you okay", "claim", True), ("who else knew", "claim", True),
    ("hello", "speech", False), ("thank you", "speech", False), ("nice to meet you", "speech", False),
    ("egg", "thing", False), ("the photograph", "thing", False), ("your daughter", "thing", False),
])
def test_keyword_kinds(keyword: str, kind: str, asks: bool) -> None:
    parsed = parse_keyword(keyword)
    assert (parsed.kind, parsed.interrogative) == (kind, asks)


# --- a persona benchmark's misreadings --------------------------------------------------------------
@pytest.mark.parametrize(("text", "keyword"), [
    ("bloody hell", "hello"), ("Harry Potter", "hurry"), ("I shall try", "shell"), ("what a smell", "shell"),
    ("It's cold in here", "could"), ("we were there", "where"), ("I tried", "tired"), ("a new world", "would"),
    ("all along", "alone"), ("the floor is wet", "flood"), ("I think so", "thing"), ("he thinks so", "thanks"),
])
def test_a_correctly_spelled_common_word_is_no_typo_for_another(text: str, keyword: str) -> None:
    assert find_keyword(text, [keyword], strength="mentioned") is None


@pytest.mark.parametrize(("text", "keyword"), [
    ("helo", "hello"), ("the vent", "vents"), ("it cranks", "crank"), ("it changes", "changed"),
    ("just breath", "breathe"), ("my favorite", "favourite"), ("I apologize", "apologise"), ("hurr up", "hurry"),
])
def test_typos_and_other_forms_of_the_same_word_are_still_forgiven(text: str, keyword: str) -> None:
    match = find_keyword(text, [keyword], strength="mentioned")
    assert match is not None and match.fuzzy


@pytest.mark.parametrize(("text", "keyword"), [
    ("It was Curtis right?", "it was curtis"), ("It was Curtis, right?", "it was curtis"),
    ("We'll get through this okay?", "we'll get through this"), ("You killed him didn't you?", "you killed him"),
    ("I was at home okay? All night.", "i was at home"), ("It's broken isn't it?", "it's broken"),
    ("You're doing great yeah?", "you're doing great"), ("It was Danny, don't you think?", "it was danny"),
    ("It was Danny don't you think?", "it was danny"), ("It was Danny is that right?", "it was danny"),
])
def test_a_question_tag_leaves_the_statement_before_it_asserted(text: str, keyword: str) -> None:
    match = find_keyword(text, [keyword])
    assert match is not None and match.keyword == keyword


@pytest.mark.parametrize(("text", "keyword"), [
    ("It's going to be okay?", "it's going to be okay"), ("It's okay?", "it's okay"), ("Turn right?", "turn right"),
    ("It's all right?", "it's all right"), ("Did you do it right?", "you do it"), ("So I'm right?", "i'm right"),
    ("It was Curtis?", "it was curtis"), ("Left or right?", "left or right"),
])
def test_a_tag_word_that_belongs_to_the_question_is_no_tag(text: str, keyword: str) -> None:
    assert find_keyword(text, [keyword]) is None


def test_a_question_about_what_was_reported_still_mentions_it() -> None:
    keywords = ["someone in the med bay", "med bay"]
    for text in ("You said someone's in the med bay. Who is it?", "You said someone's in the med bay?",
                 "You told me someone's in the med bay. Can you tell me who?"):
        match = find_keyword(text, keywords, strength="mentioned")
        assert match is not None and match.keyword == "someone in the med bay", text
    for text in ("You said someone's in the med bay.", "You said someone's in the med bay. I'm cranking.",
                 "You said someone's in the med bay. Okay."):
        assert find_keyword(text, keywords, strength="mentioned") is None, text
    # Signals still need the player's own words: the report is someone else's.
    assert find_keyword("You said someone's in the med bay. Who is it?", keywords) is None


def test_a_report_ends_with_its_sentence() -> None:
    assert find_keyword("You said the vents were fine. Seal the vents.", ["seal the vents"]) is not None
    assert find_keyword('He said "crank it. I left at ten.', ["i left at ten"]) is not None
    assert find_keyword('He said "crank it. I left at ten."', ["i left at ten"]) is None  # closed: all quoted


@pytest.mark.parametrize(("text", "keyword", "strength"), [
    ("Why don't you tell me about the camera?", "camera", "mentioned"),
    ("Why don't you tell me about the camera?", "camera", "asserted"),
    ("Why don't you tell me the truth?", "tell me the truth", "asserted"),
    ("why dont we use the chamber", "chamber", "asserted"),
    ("Why don't I seal the vents?", "seal the vents", "asserted"),
    ("Why not an egg?", "egg", "asserted"),
    ("Don't you think it's an egg?", "egg", "mentioned"),
])
def test_why_dont_you_suggests_it_denies_nothing(text: str, keyword: str, strength: Strength) -> None:
    match = find_keyword(text, [keyword], strength=strength)
    assert match is not None and match.keyword == keyword


def test_other_negative_questions_still_negate() -> None:
    assert find_keyword("Why didn't you tell me the truth?", ["tell me the truth"]) is None
    assert find_keyword("Why don't you believe me? I did it.", ["i did it"]) is not None
    assert find_keyword("You don't seal the vents.", ["seal the vents"]) is None
    assert find_keyword("I don't know why not. Not an egg.", ["egg"]) is None
