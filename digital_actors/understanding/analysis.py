"""An utterance split into clauses, and what each word does to the words after it.

A keyword found in the text means something only in its clause: "I'm not saying I did it"
holds "i did it" under a negation, "If I did it..." under a condition, "You want me to say
I did it" in reported speech. The analysis marks, once per utterance, the clauses
(sentence punctuation, commas, conjunctions such as "but" or "and" before a new subject, and a
trailing question tag: "It was Curtis right?" states, only "right?" asks), which clauses are
questions or requests ("could you...", and suggestions: "why don't you..."), which words
negate, report, or make what follows hypothetical, what is inside quote marks (to the end of
the sentence for a mark never closed), and whether the whole utterance is sarcastic.
Matching (``matching.py``) reads these marks around each keyword it finds.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass

from digital_actors.understanding import lexicon as lx
from digital_actors.understanding.words import Token, tokenize

_SLASH_S = re.compile(r"(?:^|\s)/s\b")
_THIRD = frozenset({"him", "her", "them", "everyone", "everybody"})
_QUESTION_LEAD = frozenset({"and", "but", "so", "or", "then"}) | lx.INTERJECTIONS - {"i", "please"}


@dataclass(frozen=True, slots=True)
class Clause:
    """Words ``first``..``last`` (exclusive) of one clause, and what the clause as a whole is."""

    first: int
    last: int
    sentence: int
    question: bool      # asks something: ends with "?" or opens with "why", "did you"...
    request: bool       # "can you...", "could I...": a question that asks for something to be done
    retracted: bool     # taken back at once: "Salt? No...", "Nut, no wait, egg"
    supposed: bool      # its sentence says "hypothetically", "in theory": every clause of it is


@dataclass(frozen=True, slots=True)
class Utterance:
    """The analysed text. Per-word tuples are indexed like ``words``."""

    text: str
    words: tuple[Token, ...]
    clause_of: tuple[int, ...]
    quoted: tuple[bool, ...]       # inside quote marks
    negator: tuple[bool, ...]      # negates what follows it in its clause
    modal: tuple[bool, ...]        # "would", "could", "might", "should have": hypothetical after it
    conditional: tuple[bool, ...]  # "if", "suppose", "imagine"...: the whole clause is hypothetical
    report: tuple[bool, ...]       # someone else's words or thoughts follow ("you said", "he thinks")
    clauses: tuple[Clause, ...]
    sarcastic: bool                # "yeah right", "as if", "...and I'm the Pope": nothing is meant

    def clause(self, word: int) -> Clause:
        return self.clauses[self.clause_of[word]]


def analyse(text: str) -> Utterance:
    """Split ``text`` into clauses and mark negation, questions, hypotheticals, reports, sarcasm."""
    words, sentence_of, quoted, soft_before, asks = _words(tokenize(text))
    texts = [w.text for w in words]
    starts = _clause_starts(words, texts, sentence_of, soft_before)
    starts |= _tag_starts(texts, sentence_of, asks, starts)
    clause_of: list[int] = []
    for i in range(len(words)):
        clause_of.append(clause_of[-1] + (i in starts) if clause_of else 0)
    bounds = _bounds(clause_of)
    clauses = [_clause(texts, words, b, sentence_of, asks) for b in bounds]
    clauses = _supposed(_retractions(clauses, texts, asks), texts, sentence_of)
    negator = _negators(texts)
    conditional = _conditionals(texts, bounds)
    modal = _modals(texts, clauses, clause_of)
    report = _reports(texts, clauses, clause_of)
    return Utterance(text, tuple(words), tuple(clause_of), tuple(quoted), tuple(negator), tuple(modal),
                     tuple(conditional), tuple(report), tuple(clauses), _sarcastic(text, texts, bounds))


def _words(tokens: list[Token]) -> tuple[list[Token], list[int], list[bool], list[bool], set[int]]:
    """Word tokens with their sentence, quote state, a break before them; sentences that ask."""
    words: list[Token] = []
    sentence_of: list[int] = []
    quoted: list[bool] = []
    soft_before: list[bool] = []
    asks: set[int] = set()
    sentence, inside, single, pending = 0, False, False, False
    closes = [n for n, tok in enumerate(tokens) if tok.kind == "quote" and tok.text == "close"]
    marks = [n for n, tok in enumerate(tokens) if tok.kind == "quote" and tok.text == '"']
    unclosed = marks[-1] if len(marks) % 2 else -1  # 'He said "crank it. I left.': quoted to "it" only
    for n, token in enumerate(tokens):
        if token.kind == "word":
            words.append(token)
            sentence_of.append(sentence)
            quoted.append(inside or single)
            soft_before.append(pending)
            pending = False
        elif token.kind == "end":
            if "?" in token.text:
                asks.add(sentence)
            if words and sentence_of[-1] == sentence:
                sentence += 1
            pending = False
            if 0 <= unclosed < n:
                inside = False  # a quote mark never closed quotes to the end of its sentence
        else:
            if token.kind == "quote" and token.text == '"':
                inside = not inside
            elif token.kind == "quote":  # a single quote opens only when one closes it later ("'kay")
                single = (token.text == "open" and any(c > n for c in closes)) or (single and token.text != "close")
            pending = True
    return words, sentence_of, quoted, soft_before, asks


def _clause_starts(words: list[Token], texts: list[str], sentence_of: list[int],
                   soft_before: list[bool]) -> set[int]:
    starts = {0} if words else set()
    for i in range(1, len(words)):
        nxt = texts[i + 1] if i + 1 < len(texts) else ""
        named = i + 1 < len(words) and words[i + 1].raw[:1].isupper() and words[i + 1].raw != "I"
        if (sentence_of[i] != sentence_of[i - 1] or soft_before[i] or texts[i] in lx.SPLITTERS
                or (texts[i] in lx.SPLITTERS_BEFORE_SUBJECT and (nxt in lx.PRONOUN_SUBJECTS or named))):
            starts.add(i)
        if texts[i - 1] in ("no", "nope", "nah") and texts[i] in lx.PRONOUN_SUBJECTS \
                and (i - 1 in starts or i == 1):
            starts.add(i)  # "no I was home": the "no" answers, it negates nothing after it
    return starts


def _tag_starts(texts: list[str], sentence_of: list[int], asks: set[int], starts: set[int]) -> set[int]:
    """ "It was Curtis right?": a question tag after a statement is a clause of its own, so only it asks."""
    out: set[int] = set()
    for sentence in asks:
        end = max((i for i, s in enumerate(sentence_of) if s == sentence), default=-1) + 1
        tag = end - _tag_size(texts, end)
        if tag == end or tag in starts:
            continue  # no tag, or one a comma already set apart ("It was Curtis, right?")
        first = max(i for i in starts if i < tag)
        if tag - first < 2 or _opens_question(_lead(texts, first, tag)):
            continue  # "Turn right?", "Did he do it right?": the sentence asks, not its tag
        if texts[tag] in lx.PREDICATE_TAGS and texts[tag - 1] in lx.NOT_BEFORE_TAG:
            continue  # "It's okay?", "It's all right?": the word completes the question
        out.add(tag)
    return out


def _tag_size(texts: list[str], end: int) -> int:
    """How many words before ``end`` are a question tag ("right", "didn't you", "is it not"), or 0."""
    for size in (4, 3, 2, 1):
        tail = tuple(texts[end - size:end]) if end >= size else ()
        if tail in lx.TAGS:
            return size
        if size == 3 and len(tail) == 3 and tail[0] in lx.AUXILIARIES and (
                (tail[1] == "not" and tail[2] in lx.TAG_PRONOUNS) or (tail[1] in lx.TAG_PRONOUNS and tail[2] == "not")):
            return size
    return 0


def _bounds(clause_of: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for i, c in enumerate(clause_of):
        if c == len(out):
            out.append((i, i + 1))
        else:
            out[c] = (out[c][0], i + 1)
    return out


def _lead(texts: list[str], first: int, last: int) -> list[str]:
    """The clause's words from its first content word (skipping "oh", "so", "and"...)."""
    i = first
    while i < last - 1 and texts[i] in _QUESTION_LEAD:
        i += 1
    return texts[i:last]


def _clause(texts: list[str], words: list[Token], bounds: tuple[int, int], sentence_of: list[int],
            asks: set[int]) -> Clause:
    first, last = bounds
    sentence = sentence_of[first]
    lead = _lead(texts, first, last)
    w0, w1 = lead[0], lead[1] if len(lead) > 1 else ""
    w2 = lead[2] if len(lead) > 2 else ""
    named = len(lead) > 1 and words[last - len(lead) + 1].raw[:1].isupper()
    opens_question = (
        (w0 in lx.WH_ALWAYS and not (w0 == "how" and w1 == "about"))
        or (w0 in lx.WH_WITH_AUX and bool({w1, w2} & lx.AUXILIARIES))
        or (w0 in lx.AUXILIARIES and (w1 in lx.SUBJECTS or named))
    )
    perfect = w0 in ("could", "would") and w2 == "have"  # "could you have done it?" asks, requests nothing
    suggestion = w0 == "why" and (w1 == "not" or (w1 == "do" and w2 == "not"))  # "why don't you...": asks for it
    request = (w0 in lx.REQUEST_MODALS and w1 in ("you", "i", "we") and not perfect) \
        or (w0 == "may" and w1 == "i") or w0 == "please" or suggestion
    closes_sentence = last == len(texts) or sentence_of[last] != sentence
    question = opens_question or (sentence in asks and closes_sentence)
    return Clause(first, last, sentence, question, request, False, False)


def _retractions(clauses: list[Clause], texts: list[str], asks: set[int]) -> list[Clause]:
    """ "Salt? No, too easy." and "Nut, no wait, egg": a short clause taken back by the next one."""
    out = list(clauses)
    for n, (clause, following) in enumerate(itertools.pairwise(clauses)):
        lead = _lead(texts, clause.first, clause.last)
        nxt = texts[following.first:following.last]
        echoed = clause.sentence in asks and following.sentence != clause.sentence
        if (len(lead) <= 3 and nxt[0] in lx.RETRACTORS and not _opens_question(lead)
                and (echoed or (len(nxt) > 1 and nxt[1] in lx.RETRACT_FOLLOWERS))):
            out[n] = dataclasses.replace(clause, retracted=True)
    return out


def _supposed(clauses: list[Clause], texts: list[str], sentence_of: list[int]) -> list[Clause]:
    """ "I did it, hypothetically": a sentence adverb makes the whole sentence a supposition."""
    marked = {sentence_of[i] for i, t in enumerate(texts) if t in lx.SENTENCE_HYPOTHETICALS}
    marked |= {sentence_of[i] for i in _find(texts, ("in", "theory"))}
    return [dataclasses.replace(c, supposed=True) if c.sentence in marked else c for c in clauses]


def _opens_question(lead: list[str]) -> bool:
    return lead[0] in lx.WH_ALWAYS | lx.WH_WITH_AUX or (lead[0] in lx.AUXILIARIES and len(lead) > 1)


def _find(texts: list[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(texts) - n + 1) if tuple(texts[i:i + n]) == phrase]


def _negators(texts: list[str]) -> list[bool]:
    out = [t in lx.NEGATORS for t in texts]
    for phrase in lx.NEUTRAL_NEGATIONS + lx.SUGGESTIONS:
        for i in _find(texts, phrase):
            for j in range(i, i + len(phrase)):
                out[j] = False
    return out


def _conditionals(texts: list[str], bounds: list[tuple[int, int]]) -> list[bool]:
    out = [t in lx.CONDITIONALS for t in texts]
    for phrase in lx.CONDITIONAL_PHRASES:
        for i in _find(texts, phrase):
            out[i] = True
    for first, last in bounds:  # "say I did it, then what?": an imperative "say" supposes
        if texts[first] == "say" and last - first > 1 and texts[first + 1] in lx.PRONOUN_SUBJECTS:
            out[first] = True
    return out


def _modals(texts: list[str], clauses: list[Clause], clause_of: list[int]) -> list[bool]:
    out = [False] * len(texts)
    for i, word in enumerate(texts):
        nxt = texts[i + 1] if i + 1 < len(texts) else ""
        clause = clauses[clause_of[i]]
        if word in lx.MODALS and nxt not in lx.MODAL_EXCEPTIONS:
            out[i] = not (clause.request and _first_content(texts, clause) == i)  # "could you...": a request
        elif word in lx.PERFECT_MODALS and nxt == "have":
            out[i] = True
    return out


def _first_content(texts: list[str], clause: Clause) -> int:
    i = clause.first
    while i < clause.last - 1 and texts[i] in _QUESTION_LEAD:
        i += 1
    return i


def _reports(texts: list[str], clauses: list[Clause], clause_of: list[int]) -> list[bool]:
    """Report verbs with someone else as subject ("you said", "the porter says"), and "apparently"."""
    out = [t in lx.REPORT_ADVERBS for t in texts]
    for i in _find(texts, ("according", "to")):
        out[i] = True
    for i, word in enumerate(texts):
        if word not in lx.REPORT_VERBS:
            continue
        clause = clauses[clause_of[i]]
        j = i - 1
        while j >= clause.first and i - j <= 4 and texts[j] in lx.REPORT_SKIP:
            j -= 1
        if j < clause.first and word in ("tell", "say") and i + 1 < len(texts) and texts[i + 1] in _THIRD:
            out[i + 1] = True  # "tell him you love him": words for someone else to say
            continue
        if j < clause.first or i - j > 4 or texts[j] in lx.FIRST_PERSON:
            continue  # "I said...", or no subject ("said I was home"): the player's own words
        aux = j - 2 if j - 1 >= clause.first and texts[j - 1] == "not" else j - 1
        if clause.question and aux >= clause.first and texts[j] == "you" and texts[aux] in lx.AUXILIARIES:
            continue  # "do you think it's an egg?", "why don't you tell me": it asks, it reports nothing
        out[i] = True
    return out


def _sarcastic(text: str, texts: list[str], bounds: list[tuple[int, int]]) -> bool:
    if _SLASH_S.search(text):
        return True
    for phrase in lx.SARCASM:
        for i in _find(texts, phrase):
            if len(phrase) == 1 and i > 0 and texts[i - 1] in lx.NEGATORS:
                continue  # "I'm not kidding", "no kidding"
            return True
    # "I did it... NOT": a lone "not" closing the utterance takes everything back.
    return bool(bounds) and texts[-1] == "not" and bounds[-1][1] - bounds[-1][0] == 1 and len(bounds) > 1
