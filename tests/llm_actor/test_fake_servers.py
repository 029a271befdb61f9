"""The LLM actor with the real SDKs against local fake servers speaking the real wire formats."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.actors.llm import LLMActor
from digital_actors.actors.understudy import Understudy
from digital_actors.llm.openai_compat import openai_chat
from digital_actors.scene.model import Scene
from tests.fakes.anthropic_server import error_reply
from tests.fakes.sse_server import Reply
from tests.llm_actor.conftest import MINI_DIR, PRESSURE_DIR
from tests.llm_actor.helpers import NoSleep, RoutedAnthropic, RoutedOpenAI, claude, harness, play_file


def system_of(body: dict) -> str:  # type: ignore[type-arg]
    system = body.get("system", "")
    return system if isinstance(system, str) else " ".join(b["text"] for b in system)


async def test_mini_played_to_an_ending_with_the_fake_anthropic_server(
        mini: Scene, anthropic_server: RoutedAnthropic) -> None:
    anthropic_server.router.lines = ["**Bob:** Bob. Just Bob.", "Pumping, pumping.",
                                     "Slow down!", "Again? Fine.", "Later, then."]
    anthropic_server.router.judge = mini  # decisive signals wait for the judge: it reads as the keywords do
    async with harness(mini, model=claude(anthropic_server)) as h:
        await play_file(h, MINI_DIR / "tests" / "a.play")
        over = h.of(ev.GameOver)
        assert [g.ending_id for g in over] == ["friends"]
        model_lines = [e for e in h.of(ev.LineStarted) if e.source == "anthropic: claude-test"]
        assert len(model_lines) >= 5
        assert h.of(ev.LineFinished)[1].text == "Bob. Just Bob."
        assert over[0].stats["tokens.output"] > 0
    counts = anthropic_server.router.counts
    assert counts["line"] == len(model_lines) and counts.get("judge", 0) >= 1
    for seen in anthropic_server.seen:
        assert "what's your name" not in system_of(seen.body).lower()
        if seen.body.get("stream"):
            assert seen.body["system"][0]["cache_control"] == {"type": "ephemeral"}


async def test_pressure_point_played_to_an_ending_with_the_fake_anthropic_server(
        pressure: Scene, anthropic_server: RoutedAnthropic) -> None:
    anthropic_server.router.judge = pressure
    async with harness(pressure, model=claude(anthropic_server)) as h:
        await play_file(h, PRESSURE_DIR / "tests" / "surfaced_together.play")
        assert [g.ending_id for g in h.of(ev.GameOver)] == ["surfaced_together"]
        finished = h.of(ev.LineFinished)
        assert finished[-1].text == "Hold on. Stay with me."  # the ending line, from the model
        assert not h.of(ev.TurnFailed)
    assert anthropic_server.router.counts["line"] >= 10


async def test_an_openai_compatible_server_performs_too(
        mini: Scene, openai_server: RoutedOpenAI) -> None:
    openai_server.router.lines = ["Bob, that's me."]
    model = openai_chat(api_key="sk-test", model="gpt-test", base_url=openai_server.base_url,
                        max_retries=0)
    async with harness(mini, model=model) as h:
        await h.session.say("what's your name")
        await h.settle()
        assert h.of(ev.LineFinished)[-1].text == "Bob, that's me."
        assert h.of(ev.Timing)[-1].output_tokens == 9


async def test_an_interruption_closes_the_http_stream(
        mini: Scene, anthropic_server: RoutedAnthropic) -> None:
    release = asyncio.Event()
    anthropic_server.router.lines = [Reply(chunks=["I was ", "saying that ", "we must ", "go."],
                                           stall_after=2, release=release)]
    async with harness(mini, model=claude(anthropic_server)) as h:
        await h.session.say("tell me")
        await h.next(ev.LineDelta, lambda e: "saying" in e.text)
        await h.session.say("stop!")
        async with asyncio.timeout(5):
            await anthropic_server.disconnected.wait()
        await h.settle()
        cut = [e for e in h.of(ev.LineFinished) if e.interrupted]
        assert [e.text for e in cut] == ["I was saying that"]
        assert anthropic_server.disconnects == 1
        assert ("actor", "I was saying that —") in h.session.history


@pytest.mark.parametrize("errors", [["rate_limit_error"], ["overloaded_error"], ["api_error"],
                                    ["rate_limit_error", "overloaded_error", "api_error"]])
async def test_retries_then_success(mini: Scene, anthropic_server: RoutedAnthropic,
                                   errors: list[str]) -> None:
    anthropic_server.router.lines = [*(error_reply(e) for e in errors), "Got it."]
    sleep = NoSleep()
    async with harness(mini, model=claude(anthropic_server, max_retries=3, sleep=sleep)) as h:
        await h.session.say("hello")
        await h.settle()
        assert h.of(ev.LineFinished)[-1].text == "Got it."
        assert not h.of(ev.Notice)
    assert len(sleep.delays) == len(errors)


async def test_exhausted_retries_play_the_scripts_line_and_the_session_goes_on(
        mini: Scene, anthropic_server: RoutedAnthropic) -> None:
    anthropic_server.router.lines = [error_reply("overloaded_error", error_message="Overloaded: sk-ant-test"),
                                     error_reply("overloaded_error"), "Back again."]
    async with harness(mini, model=claude(anthropic_server, max_retries=1)) as h:
        await h.session.say("hello")
        await h.settle()
        assert h.of(ev.LineFinished)[-1].text == "What?"
        notice = h.of(ev.Notice)[-1].message
        assert notice == "Claude (claude-test) is not answering; the script's lines stand in until it recovers."
        await h.session.say("hello again")
        await h.settle()
        assert h.of(ev.LineFinished)[-1].text == "Back again."


async def test_a_slow_first_byte_times_out_to_the_fallback(
        mini: Scene, anthropic_server: RoutedAnthropic) -> None:
    anthropic_server.router.lines = [Reply(hold=asyncio.Event()), "Quick now."]
    model = claude(anthropic_server, max_retries=0, first_token_timeout=0.2)
    async with harness(mini, model=model) as h:
        await h.session.say("hello")
        await h.settle()
        assert h.of(ev.LineFinished)[-1].text == "What?"
        assert h.of(ev.Notice)[-1].message.endswith("is not answering; the script's lines stand in "
                                                    "until it recovers.")
        async with asyncio.timeout(5):
            await anthropic_server.disconnected.wait()  # the held request was abandoned
        await h.session.say("again")
        await h.settle()
        assert h.of(ev.LineFinished)[-1].text == "Quick now."


async def test_a_bad_key_gives_one_notice_and_the_understudy(
        mini: Scene, anthropic_server: RoutedAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    anthropic_server.router.verify = error_reply("authentication_error")
    async with harness(mini) as h:
        assert isinstance(h.session.actor, Understudy)
        started = h.of(ev.SceneStarted)[0]
        assert "understudy" in started.performer and "did not accept" in started.performer
        notices = h.of(ev.Notice)
        assert len(notices) == 1 and "ANTHROPIC_API_KEY" in notices[0].message
        assert h.engine.casting_notice == notices[0].message
        second = await h.engine.new_session("mini", scene=mini)
        sub = second.events()
        await second.start()
        assert not [e for e in sub.drain() if isinstance(e, ev.Notice)]  # told once per process
        await second.close()
    assert len(anthropic_server.seen) == 1  # one verification call per process


async def test_a_working_key_selects_claude_with_the_reason(
        mini: Scene, anthropic_server: RoutedAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-good")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    async with harness(mini, anthropic_model="claude-haiku-4-5") as h:
        assert isinstance(h.session.actor, LLMActor)
        started = h.of(ev.SceneStarted)[0]
        assert started.performer == "Claude (claude-haiku-4-5) (ANTHROPIC_API_KEY is set)"
        assert not h.of(ev.Notice)


async def test_a_recorded_playthrough_replays_exactly_without_a_server(
        mini: Scene, tmp_path: Path) -> None:
    record = tmp_path / "rec"
    async with RoutedAnthropic() as server:
        server.router.lines = ["Bob. Who's asking?", "Pumping.", "Easy!", "More?", "Fine."]
        server.router.judge = mini
        async with harness(mini, model=claude(server), record_dir=record, suggestions=True,
                           director_llm=True) as h:
            await play_file(h, MINI_DIR / "tests" / "a.play")
            recorded = [(e.text, e.interrupted) for e in h.of(ev.LineFinished)]
            recorded_suggestions = [e.items for e in h.of(ev.Suggestions)]
            assert h.session.ended
    files = sorted(record.glob("*.json"))
    purposes = {json.loads(f.read_text())["purpose"] for f in files}
    assert purposes >= {"line", "judge", "suggest", "director"}
    async with harness(mini, replay_dir=record, suggestions=True, director_llm=True) as h:
        assert h.session.actor.name == "Claude (claude-test)"
        await play_file(h, MINI_DIR / "tests" / "a.play")
        assert [(e.text, e.interrupted) for e in h.of(ev.LineFinished)] == recorded
        assert [e.items for e in h.of(ev.Suggestions)] == recorded_suggestions
        assert [g.ending_id for g in h.of(ev.GameOver)] == ["friends"]
        assert not h.of(ev.Notice)
