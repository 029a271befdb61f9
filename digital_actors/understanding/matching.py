"""Finding keywords in an analysed utterance: whole words, small typos, one filler word, and meaning.

A keyword matches a run of the utterance's words in one sentence: each keyword word equal
to the player's word, or (from five letters on, same first letter) within a small edit
distance of it — one edit up to eight letters, two from nine — so "confes" finds "confess"
and "enginer" finds "engineer", while "egg" needs "egg"; a common English word typed as itself
is no typo ("hell" is not "hello": ``spelling.py``). A keyword of three words or more may
have one extra word inside it ("i really did it" for "i did it"), never a negator.

Each occurrence is then judged by its surroundings at one of two strengths:

- ``asserted`` (signals): not negated, not quoted or reported, not sarcastic; and, by the
  keyword's kind (``keywords.py``): a claim must not be a question or a hypothetical, a
  speech act must open or close its clause, a thing may be asked about.
- ``mentioned`` (the understudy's replies, which answer questions): not negated; not quoted or
  reported, unless the player asks about it ("You said someone's in the med bay. Who is it?").

The best occurrence wins: the longest keyword, then an exact one over a typo, then one
without a filler word. A terse placeholder (``{yes}``, ``{no}``, ``{what}``) is not words: it
matches a whole line that is only an acknowledgement, a refusal or a question (``terse.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from digital_actors.text import TERSE_PLACEHOLDERS, is_placeholder
from digital_actors.understanding import lexicon as lx
from digital_actors.understanding.analysis import Utterance, analyse
from digital_actors.understanding.keywords import Keyword, parse_keyword
from digital_actors.understanding.spelling import typo_distance
from digital_actors.understanding.terse import terse_kind

Strength = Literal["asserted", "mentioned"]
FILLER_FROM = 3  # "i really did it" for "i did it"; a two-word keyword with a word inside is two words
_NOT_BEFORE_ACT = lx.PREPOSITIONS | {"the", "a", "an", "my", "your", "his", "her", "our", "their", "this", "that",
                                     "say", "said", "says", "saying"}


@dataclass(frozen=True, slots=True)
class Match:
    """A keyword found in the text: which one, where (character span of the text), and how."""

    keyword: str
    span: tuple[int, int]
    text: str          # the player's words that matched, as typed
    fuzzy: bool        # a typo was forgiven
    filler: bool       # one extra word sat inside the keyword


@dataclass(frozen=True, slots=True)
class _Hit:
    first: int
    last: int          # exclusive
    edits: int
    filler: int | None


def _same(keyword_word: str, word: str, fuzzy: bool) -> int | None:
    """0 for equal words, the edit distance for a forgiven typo, None otherwise."""
    if keyword_word == word:
        return 0
    return typo_distance(keyword_word, word) if fuzzy else None


def _hits(u: Utterance, words: list[str], keyword: Keyword, fuzzy: bool, filler: bool) -> list[_Hit]:
    """Every place the keyword's words stand in one sentence of the utterance."""
    k = keyword.words
    out: list[_Hit] = []
    for start in range(len(words)):
        hit = _extend(u, words, k, start, fuzzy, filler and len(k) >= FILLER_FROM)
        if hit is not None:
            out.append(hit)
    return out


def _extend(u: Utterance, words: list[str], k: tuple[str, ...], start: int, fuzzy: bool,
            filler: bool) -> _Hit | None:
    sentence = u.clause(start).sentence
    i, edits, skipped = start, 0, None
    for n, kw in enumerate(k):
        if i >= len(words) or u.clause(i).sentence != sentence:
            return None
        cost = _same(kw, words[i], fuzzy)
        if cost is None and filler and skipped is None and n > 0 and i + 1 < len(words) \
                and not u.negator[i] and words[i] not in lx.NEGATORS and u.clause(i + 1).sentence == sentence:
            cost = _same(kw, words[i + 1], fuzzy)
            if cost is not None:
                skipped = i
                i += 1
        if cost is None:
            return None
        edits += cost
        i += 1
    return _Hit(start, i, edits, skipped)


def _judge(u: Utterance, keyword: Keyword, hit: _Hit, strength: Strength) -> bool:
    """Does this occurrence count at ``strength``, given what surrounds it in its clause?"""
    clause = u.clause(hit.first)
    outside = [j for j in range(clause.first, u.clause(hit.last - 1).last) if not hit.first <= j < hit.last]
    before = range(clause.first, hit.first)
    if any(u.negator[j] for j in before) or clause.retracted or _negated_after(u, keyword, hit):
        return False
    reported = any(u.quoted[j] for j in range(hit.first, hit.last)) or any(u.report[j] for j in before)
    if strength == "mentioned":
        return not reported or _asked_about(u, u.clause_of[hit.first])
    if reported:
        return False
    if u.sarcastic:
        return False
    touched = {u.clause_of[j] for j in range(hit.first, hit.last)}
    question = any(u.clauses[c].question and not u.clauses[c].request for c in touched)
    hypothetical = any(u.conditional[j] for j in outside) or any(u.modal[j] for j in before) or clause.supposed
    alone = all(u.words[j].text in lx.INTERJECTIONS for j in outside)
    if keyword.kind == "thing":
        return True
    if keyword.kind == "speech":
        lead = [j for j in outside if j < hit.first and u.words[j].text not in lx.INTERJECTIONS]
        closing = hit.last == u.clause(hit.last - 1).last and (
            hit.first == 0 or u.words[hit.first - 1].text not in _NOT_BEFORE_ACT)
        at_edge = not lead or closing  # "hello there", "a hint, please"; not "my evening", "say hi to"
        return at_edge and not hypothetical and (alone or not question)
    return not hypothetical and (keyword.interrogative or not question)


def _asked_about(u: Utterance, clause: int) -> bool:
    """ "You said someone's in the med bay. Who is it?": the player asks about what was reported,
    in its own clause, a later one of its sentence, or the next sentence."""
    sentence = u.clauses[clause].sentence
    return any(c.question for c in u.clauses[clause:] if c.sentence <= sentence + 1)


def _terse(u: Utterance, keywords: list[str]) -> Match | None:
    """The ``{yes}``/``{no}``/``{what}`` keyword the whole line is, or None."""
    wanted = {TERSE_PLACEHOLDERS[k.strip()]: k for k in keywords if k.strip() in TERSE_PLACEHOLDERS}
    kind = terse_kind(u) if wanted else None
    if kind is None or kind not in wanted:
        return None
    span = (u.words[0].start, u.words[-1].end)
    return Match(wanted[kind], span, u.text[span[0]:span[1]], False, False)


def _negated_after(u: Utterance, keyword: Keyword, hit: _Hit) -> bool:
    """ "my name is not important": a keyword ending on a verb is negated by the word after it."""
    if keyword.words[-1] not in lx.AUXILIARIES or hit.last >= len(u.words):
        return False
    return u.negator[hit.last] and u.clause_of[hit.last] == u.clause_of[hit.last - 1]


def find_keyword(text: str | Utterance, keywords: Iterable[str], *, strength: Strength = "asserted",
                 fuzzy: bool = True, filler: bool = True) -> Match | None:
    """The best keyword of ``keywords`` that ``text`` holds at ``strength``, or None.

    ``text`` may be an already analysed ``Utterance`` (analyse once, match many signals).
    ``{yes}``, ``{no}`` and ``{what}`` match a whole line that is only that (``terse.py``), at
    either strength, and win: nothing else in a terse line can be meant.
    """
    u = text if isinstance(text, Utterance) else analyse(text)
    pool = list(keywords)
    terse = _terse(u, pool)
    if terse is not None:
        return terse
    words = [w.text for w in u.words]
    best: tuple[tuple[int, int, int], Match] | None = None
    for raw in pool:
        if is_placeholder(raw):
            continue  # not words to find: decide.py answers "{name}", _terse the terse ones
        keyword = parse_keyword(raw)
        if not keyword.words:
            continue
        for hit in _hits(u, words, keyword, fuzzy, filler):
            if not _judge(u, keyword, hit, strength):
                continue
            rank = (len(" ".join(keyword.words)), -hit.edits, -(hit.filler is not None))
            if best is None or rank > best[0]:
                span = (u.words[hit.first].start, u.words[hit.last - 1].end)
                best = (rank, Match(raw, span, u.text[span[0]:span[1]], hit.edits > 0, hit.filler is not None))
    return best[1] if best else None
