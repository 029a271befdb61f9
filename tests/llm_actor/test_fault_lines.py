"""Whatever the provider does, the player gets a line: a session against the fault fake, one
fault mode at a time (lines, judgements, suggestions and the director all get it), through the
real SDK adapter, driver, breaker and LLM actor."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from digital_actors import events as ev
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.openai_compat import local_chat
from digital_actors.scene.model import Scene
from tests.fakes.faults import MARKER, MODES, FaultPlan, FaultyAnthropic, FaultyOpenAI
from tests.llm_actor.helpers import NoSleep, harness

KEY = "session-key-Qm8Rt3Wz"
FIRST_TOKEN = 0.5
JUNK = re.compile(r"[*{}\[\]`]|\bBob\s*(?:\([^)]*\))?:|(?i:as an ai|here'?s .{0,20}line|note:)|"
                  "[\ud800-\udfff\x00-\x08\x0b-\x1f\ufffd]")


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("mode", MODES)
async def test_every_fault_ends_in_a_clean_line_in_time(mini: Scene, provider: str, mode: str) -> None:
    plan = FaultPlan(only=mode)
    server_type = FaultyAnthropic if provider == "anthropic" else FaultyOpenAI
    async with server_type(plan, speaker="Bob") as server:
        options = {"first_token_timeout": FIRST_TOKEN, "timeout": 1.5, "max_retries": 1,
                   "sleep": NoSleep(), "rand": lambda: 0.0}
        model = (AnthropicChatModel(api_key=KEY, model="claude-test", base_url=server.url, **options)
                 if provider == "anthropic" else
                 local_chat(base_url=f"{server.url}/v1", model="m", api_key=KEY, **options))
        async with harness(mini, model=model, suggestions=True, director_llm=True,
                           director_llm_cooldown_seconds=1.0) as h:
            loop = asyncio.get_running_loop()
            for words in ("hello there", "thank you"):
                started = loop.time()
                await h.session.say(words)
                line = await h.next(ev.LineFinished, lambda e: not e.interrupted)
                took = loop.time() - started
                await h.settle()
                assert any(c.isalnum() for c in line.text), (mode, line.text)
                assert not JUNK.search(line.text), (mode, line.text)
                assert took < 2 * FIRST_TOKEN + 1.0, (mode, took)  # a stall: first token, then silence
            assert not h.of(ev.TurnFailed), (mode, h.of(ev.TurnFailed))
            shown = json.dumps([ev.to_dict(e) for e in h.seen], ensure_ascii=False)
            assert MARKER not in shown and KEY not in shown
        await model.aclose()
