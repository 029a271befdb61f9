"""An outage seen by players: the real SDK chosen from settings, behind the engine's circuit breaker,
against a fake Anthropic server that fails and recovers. The understudy answers at once while the
breaker is open, each player is told once, and the model is back on the next turn after a probe."""

from __future__ import annotations

from typing import Any

from digital_actors import events as ev
from digital_actors.actors.llm import LLMActor
from digital_actors.actors.understudy import Understudy
from digital_actors.scene.model import Scene
from tests.fakes.anthropic_server import error_reply
from tests.fakes.sse_server import Reply
from tests.llm_actor.helpers import Harness, RoutedAnthropic, harness

UNAVAILABLE = Reply(status=503, error_type="api_error", error_message="upstream unavailable")
COOLDOWN = 10.0


class Flaky(RoutedAnthropic):
    """Answers by purpose while up; every request gets a 503 while ``down``."""

    down = False

    def next_reply(self) -> Reply:
        reply = super().next_reply()  # keeps the router's counts by purpose
        return UNAVAILABLE if self.down else reply


def model_settings(server: RoutedAnthropic, **values: Any) -> dict[str, Any]:
    """Settings that choose Claude at ``server`` the way an operator would (no injected model)."""
    return {"anthropic_api_key": "sk-ant-test", "anthropic_base_url": server.url,
            "anthropic_model": "claude-test", "llm_max_retries": 0,
            "llm_breaker_failure_threshold": 2, "llm_breaker_cooldown_seconds": COOLDOWN, **values}


def notices(h: Harness) -> list[str]:
    return [n.message for n in h.of(ev.Notice)]


async def say(h: Harness, text: str) -> str:
    await h.session.say(text)
    await h.settle()
    return h.of(ev.LineFinished)[-1].text


async def test_an_outage_opens_the_breaker_the_understudy_answers_at_once_then_the_model_is_back(
        mini: Scene) -> None:
    async with Flaky() as server:
        server.router.lines = ["Still here."]
        async with harness(mini, **model_settings(server)) as h:
            assert isinstance(h.session.actor, LLMActor)
            assert await say(h, "hello") == "Still here."
            server.down = True
            # the judge's call and the line's call fail: two in a row open the breaker
            assert await say(h, "hello?") == "What?"
            status = h.engine.model_status
            assert status is not None and status.state == "open"
            assert len(notices(h)) == 1 and "not answering" in notices(h)[0]
            requests = len(server.seen)
            assert await say(h, "anyone there?") == "What?"
            assert len(server.seen) == requests  # refused at once: no HTTP request at all
            assert len(notices(h)) == 1  # told once, not at every line
            server.down = False
            server.router.lines = ["I'm back."]
            await h.wait(COOLDOWN)
            assert await say(h, "are you back?") == "I'm back."  # the line was the probe
            assert len(server.seen) == requests + 1  # the judgement beside it failed fast: no request
            assert h.engine.model_status is not None and h.engine.model_status.state == "closed"
            assert h.engine.degraded_reasons() == []
            assert notices(h)[-1] == "Claude (claude-test) is answering again."
            assert len(notices(h)) == 2


async def test_a_provider_down_at_start_up_keeps_the_model_behind_an_open_breaker(
        mini: Scene) -> None:
    server = Flaky()
    await server.start()
    await server.stop()  # connection refused during the start-up check
    try:
        async with harness(mini, **model_settings(server)) as h:
            assert isinstance(h.session.actor, LLMActor)  # not the understudy for good
            started = h.of(ev.SceneStarted)[0]
            assert started.performer == "Claude (claude-test) (ANTHROPIC_API_KEY is set)"
            assert not h.of(ev.Notice)  # nothing to say until a line falls back
            assert h.engine.casting_notice is None
            [reason] = h.engine.degraded_reasons()
            assert reason.startswith("anthropic model unreachable since ")
            assert reason.endswith("; the understudy is answering")
            await server.start()  # the provider comes back, but the breaker waits for its cooldown
            assert await say(h, "hello") == "What?"
            assert server.seen == []
            assert notices(h)[0] == ("Claude (claude-test) is not answering; the script's lines "
                                     "stand in until it recovers.")
            server.router.lines = ["Finally."]
            await h.wait(COOLDOWN)
            assert await say(h, "hello again") == "Finally."
            assert [n for n in notices(h) if "answering again" in n]
            assert h.engine.degraded_reasons() == []
    finally:
        await server.stop()


async def test_a_bad_key_at_start_up_still_chooses_the_understudy_for_good(mini: Scene) -> None:
    async with Flaky() as server:
        server.router.verify = error_reply("authentication_error")
        async with harness(mini, **model_settings(server)) as h:
            assert isinstance(h.session.actor, Understudy)
            assert h.engine.model_status is None and h.engine.degraded_reasons() == []
            assert "ANTHROPIC_API_KEY" in (h.engine.casting_notice or "")
            assert "did not accept the first call" in h.of(ev.SceneStarted)[0].performer
        assert len(server.seen) == 1
