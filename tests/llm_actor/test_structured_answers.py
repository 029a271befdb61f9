"""The judge, suggestions and the director read answers with one pydantic validation each: a wrong
shape is a clean fallback (never a TypeError or AttributeError), a right one is used as is."""

from __future__ import annotations

import pytest

from digital_actors.llm.director import SCHEMA as DIRECTOR_SCHEMA
from digital_actors.llm.director import Decision, DirectorView, LLMDirector
from digital_actors.llm.fake import ScriptedChatModel
from digital_actors.llm.judge import LLMJudge
from digital_actors.llm.suggest import SCHEMA as SUGGEST_SCHEMA
from digital_actors.llm.suggest import Suggester
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import Cue

SCRIPT = ["Script one.", "Script two.", "Script three."]
VIEW = DirectorView(elapsed=40, idle=12, phase=1, values={"air": 50}, notes=(), history=())


def test_the_wire_schemas_require_every_field_and_nothing_else() -> None:
    assert SUGGEST_SCHEMA["required"] == ["replies"]
    assert DIRECTOR_SCHEMA["required"] == ["action", "text", "reason"]
    assert SUGGEST_SCHEMA["additionalProperties"] is False
    assert DIRECTOR_SCHEMA["additionalProperties"] is False
    assert "description" not in SUGGEST_SCHEMA and "description" not in DIRECTOR_SCHEMA


@pytest.mark.parametrize(("answer", "expected"), [
    ('{"replies": ["Stay calm.", "Who are you?", "Tell me more."]}',
     ["Stay calm.", "Who are you?", "Tell me more."]),
    ('{"replies": ["Stay calm."], "extra": 1}', ["Stay calm.", *SCRIPT[:2]]),  # topped up
    ('{"replies": "Stay calm."}', SCRIPT),
    ('{"replies": ["Stay calm.", 5, null]}', SCRIPT),
    ('{"answers": []}', SCRIPT),
    ("[]", SCRIPT),
    ("null", SCRIPT),
])
async def test_suggestions_validate_or_fall_back(mini: Scene, answer: str,
                                                 expected: list[str]) -> None:
    suggester = Suggester(ScriptedChatModel([answer]), mini)
    picks = await suggester.suggest(Cue("reply", "bob"), "Hello?", fallback=lambda: list(SCRIPT))
    assert picks == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ('{"action": "event", "text": "  A pipe   bursts. ", "reason": "tension"}',
     Decision("event", "A pipe bursts.", "tension")),
    ('{"action": "continue", "text": ""}', Decision("continue", "", "")),
    ('{"action": "hint", "text": ""}', None),  # a hint needs words
    ('{"action": "dance", "text": "x", "reason": "y"}', None),
    ('{"action": "event", "text": 3, "reason": "y"}', None),
    ('{"text": "x"}', None),
    ('"continue"', None),
])
async def test_director_answers_validate_or_are_skipped(mini: Scene, answer: str,
                                                        expected: Decision | None) -> None:
    director = LLMDirector(ScriptedChatModel([answer]), mini)
    assert await director.decide(VIEW) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ('{"kind": true}', True), ('{"kind": false}', False),
    ('{"other": true}', None),  # this question unanswered: unknown, never "no"
    ('{"kind": "perhaps"}', None), ("[true]", None), ("null", None),
])
async def test_judge_answers_validate_or_are_unknown(mini: Scene, answer: str,
                                                     expected: bool | None) -> None:
    judge = LLMJudge(ScriptedChatModel([answer]), mini)
    [signal] = [s for s in mini.signals if s.id == "kind"]
    answers = await judge.judge([signal], "I really appreciate you", "")
    assert answers.get("kind") is expected
