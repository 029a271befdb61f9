"""A ScriptedChatModel that answers by purpose, for fast engine-level tests without a network."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from digital_actors.llm.base import ChatRequest
from digital_actors.llm.fake import Scripted, ScriptedChatModel

JudgeRule = Callable[[ChatRequest, str], bool | BaseException]  # (request, signal id)


@dataclass
class Script:
    """Lines in turn (then ``default_line``); judge/suggest/director answers; every request kept."""

    lines: list[Scripted] = field(default_factory=list)
    default_line: str = "Hold on. Stay with me."
    judge: JudgeRule = lambda request, signal_id: False
    replies: list[str] | BaseException = field(
        default_factory=lambda: ["I'm here.", "What now?", "Tell me more."])
    director: dict[str, Any] | BaseException = field(default_factory=lambda: {
        "action": "continue", "text": "", "reason": "pacing is fine"})

    def __call__(self, request: ChatRequest) -> Scripted:
        if request.purpose == "judge":
            assert request.json_schema is not None
            answers = {sid: self.judge(request, sid) for sid in request.json_schema["properties"]}
            failed = [a for a in answers.values() if isinstance(a, BaseException)]
            return failed[0] if failed else json.dumps(answers)
        if request.purpose == "suggest":
            r = self.replies
            return r if isinstance(r, BaseException) else json.dumps({"replies": r})
        if request.purpose == "director":
            d = self.director
            return d if isinstance(d, BaseException) else json.dumps(d)
        return self.lines.pop(0) if self.lines else self.default_line


def scripted(script: Script | None = None, **options: Any) -> tuple[ScriptedChatModel, Script]:
    script = script or Script()
    return ScriptedChatModel(script, chunk_size=options.pop("chunk_size", 5), **options), script


def of_purpose(model: ScriptedChatModel, purpose: str) -> list[ChatRequest]:
    return [r for r in model.requests if r.purpose == purpose]
