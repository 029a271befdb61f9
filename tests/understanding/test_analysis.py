"""Clauses and what surrounds a word: the marks matching reads (understanding/analysis.py)."""

from __future__ import annotations

import pytest

from digital_actors.understanding import analyse
from digital_actors.understanding.words import keyword_words, tokenize


def clauses(text: str) -> list[str]:
    u = analyse(text)
    return [" ".join(w.text for w in u.words[c.first:c.last]) for c in u.clauses]


@pytest.mark.parametrize(("written", "words"), [
    ("I'm", ("i", "am")), ("im", ("i", "am")), ("I’m", ("i", "am")), ("didn't", ("did", "not")),
    ("didnt", ("did", "not")), ("it's", ("it", "is")), ("its", ("it", "is")), ("won't", ("will", "not")),
    ("can't", ("can", "not")), ("cannot", ("can", "not")), ("I'd say", ("i", "would", "say")),
    ("I'd been", ("i", "had", "been")), ("we'll", ("we", "will")), ("teddy's wrist", ("teddy", "'s", "wrist")),
    ("he's", ("he", "is")), ("gonna", ("going", "to")), ("ok", ("okay",)), ("pleeeease", ("pleease",)),
    ("ten o'clock", ("ten", "o'clock")),
])
def test_contractions_expand_the_same_in_text_and_keywords(written: str, words: tuple[str, ...]) -> None:
    assert keyword_words(written) == words


def test_every_word_keeps_the_span_it_was_typed_at() -> None:
    text = "Well, I didn't."
    parts = [(t.text, text[t.start:t.end]) for t in tokenize(text) if t.kind == "word"]
    assert parts == [("well", "Well"), ("i", "I"), ("did", "didn't"), ("not", "didn't")]


def test_a_dot_inside_a_word_or_after_a_title_ends_no_sentence() -> None:
    assert len({c.sentence for c in analyse("M.V. at 9.50 with Dr. Chen").clauses}) == 1
    assert len({c.sentence for c in analyse("Done. Next.").clauses}) == 2


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm not sure, I think I did it", ["i am not sure", "i think i did it"]),
    ("I wanted to stop but I did it anyway", ["i wanted to stop", "but i did it anyway"]),
    ("I was scared and I ran", ["i was scared", "and i ran"]),
    ("you and me together", ["you and me together"]),            # "and" before no subject: one clause
    ("I left at ten and went home", ["i left at ten and went home"]),
    ("no I was home", ["no", "i was home"]),                      # the answer "no" negates nothing after it
    ("no one was with me", ["no one was with me"]),
    ("I don't know... a box?", ["i do not know", "a box"]),
    ("If I did it, I'd tell you", ["if i did it", "i would tell you"]),
])
def test_clauses(text: str, expected: list[str]) -> None:
    assert clauses(text) == expected


@pytest.mark.parametrize(("text", "question", "asks_for_action"), [
    ("Did I do it?", True, False), ("did i do it", True, False), ("was it me", True, False),
    ("why would I", True, False), ("where were you", True, False), ("when I left it was ten", False, False),
    ("how about an egg", False, False), ("Is Teddy okay", True, False), ("I did it?", True, False),
    ("Could you give me some air?", True, True), ("can I have a lawyer", True, True), ("I did it.", False, False),
])
def test_questions_and_requests(text: str, question: bool, asks_for_action: bool) -> None:
    clause = analyse(text).clauses[-1]
    assert (clause.question, clause.request) == (question, asks_for_action)


def test_a_tag_question_leaves_the_statement_before_it_a_statement() -> None:
    first, tag = analyse("You loved him, didn't you?").clauses
    assert not first.question and tag.question


@pytest.mark.parametrize(("text", "retracted"), [
    ("Salt? No, that's too easy.", True), ("Nut, no wait, egg!", True), ("Curtis? Never heard of him.", True),
    ("Case closed? Not even close.", True), ("Thanks. No, really.", False),
    ("Is Teddy okay? No? Oh god.", False),  # a real question is not taken back by the answer to it
])
def test_a_short_clause_taken_back_at_once_is_retracted(text: str, retracted: bool) -> None:
    assert analyse(text).clauses[0].retracted is retracted


def test_negators_and_the_idioms_that_negate_nothing() -> None:
    u = analyse("No problem, I'm not leaving")
    marked = [w.text for w, neg in zip(u.words, u.negator, strict=True) if neg]
    assert marked == ["not"]
    assert not any(analyse("don't worry I'm calm").negator)


def test_reports_need_someone_else_as_the_subject() -> None:
    def reported(text: str) -> list[str]:
        u = analyse(text)
        return [w.text for w, r in zip(u.words, u.report, strict=True) if r]
    assert reported("You keep saying it was Danny") == ["saying"]
    assert reported("The night porter says it was you") == ["says"]
    assert reported("I said I was home") == []
    assert reported("I think you killed him") == []
    assert reported("Do you think it's an egg?") == []          # asks: reports nothing
    assert reported("Tell him you love him") == ["him"]         # words for someone else to say
    assert reported("Apparently it was me") == ["apparently"]


def test_hypothetical_marks() -> None:
    u = analyse("If I did it")
    assert u.conditional[0]
    u = analyse("I would have done it")
    assert u.modal[1]
    for hedge in ("I'd say honey", "I'd like a lawyer", "Could you give me air?"):
        assert not any(analyse(hedge).modal), hedge
    assert analyse("I should have stayed home").modal[1]
    assert analyse("let's say I did it").conditional[0]


@pytest.mark.parametrize(("text", "sarcastic"), [
    ("yeah right, i robbed the place", True), ("Oh sure, it was me.", True),
    ("Sure, and I'm the Pope.", True), ("Where do I sign? Kidding.", True), ("i did it lol", True),
    ("I did it... not", True), ("I did it /s", True), ("as if I'd do that", True),
    ("I'm not kidding, I did it", False), ("no kidding", False), ("Sure, I'll do it.", False),
    ("Right, the crank.", False),
])
def test_sarcasm(text: str, sarcastic: bool) -> None:
    assert analyse(text).sarcastic is sarcastic


def test_quote_marks() -> None:
    u = analyse('Your paper says "I confess". I won\'t sign.')
    inside = [w.text for w, q in zip(u.words, u.quoted, strict=True) if q]
    assert inside == ["i", "confess"]


def test_single_quote_marks_but_not_apostrophes() -> None:
    u = analyse("He said 'I did it' but the Smiths' car was home")
    inside = [w.text for w, q in zip(u.words, u.quoted, strict=True) if q]
    assert inside == ["i", "did", "it"]
    assert not any(analyse("'cause I did it, 'kay").quoted)


@pytest.mark.parametrize(("text", "expected"), [
    ("It was Curtis right?", ["it was curtis", "right"]),
    ("You killed him didn't you?", ["you killed him", "did not you"]),
    ("It's broken isn't it", ["it is broken is not it"]),           # no "?": nothing is asked, no tag
    ("It was Danny don't you think?", ["it was danny", "do not you think"]),
    ("We'll get through this okay? Good.", ["we will get through this", "okay", "good"]),
    ("It's okay?", ["it is okay"]), ("It's going to be alright?", ["it is going to be alright"]),
    ("Turn right?", ["turn right"]), ("Did he do it right?", ["did he do it right"]),
    ("It's all right?", ["it is all right"]), ("Left or right?", ["left or right"]),
])
def test_a_trailing_question_tag_is_a_clause_of_its_own(text: str, expected: list[str]) -> None:
    assert clauses(text) == expected


def test_the_tag_asks_and_the_statement_before_it_states() -> None:
    statement, tag = analyse("It was Curtis right?").clauses
    assert not statement.question and tag.question


def test_why_dont_you_is_a_suggestion_a_request_that_negates_nothing() -> None:
    for text in ("Why don't you tell me about the camera?", "why dont we seal it", "Why don't I crank it?"):
        u = analyse(text)
        assert not any(u.negator) and not any(u.report), text
        assert u.clauses[0].question and u.clauses[0].request, text
    u = analyse("Why didn't you tell me?")
    assert u.negator[2] and not u.clauses[0].request


def test_an_unclosed_quote_ends_with_its_sentence() -> None:
    u = analyse('He said "crank it. I left at ten.')
    assert [w.text for w, q in zip(u.words, u.quoted, strict=True) if q] == ["crank", "it"]
    u = analyse('He said "crank it. I left at ten." Then he went.')
    assert [w.text for w, q in zip(u.words, u.quoted, strict=True) if q] == ["crank", "it", "i", "left", "at", "ten"]
