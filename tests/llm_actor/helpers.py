"""Helpers for the LLM actor tests: routed fake servers, a session harness and a .play driver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from digital_actors import events as ev
from digital_actors.authoring.playtest import parse_play
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import ChatModel
from digital_actors.llm.prompts import CLOSE, OPEN
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session
from digital_actors.understanding import offline_fires
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sse_server import Reply

E = TypeVar("E", bound=ev.Event)
WAIT = 10.0  # seconds: a generous guard so a broken test fails instead of hanging


def purpose_of(body: dict[str, Any]) -> str:
    """Which engine call a provider request is, from its structured-output schema."""
    schema: dict[str, Any] = {}
    if body.get("tools"):
        schema = body["tools"][0].get("input_schema", {})
    elif isinstance(body.get("response_format"), dict):
        schema = body["response_format"].get("json_schema", {}).get("schema", {})
    props = schema.get("properties", {})
    if schema.get("title") == "signal_judgements":
        return "judge"
    if "replies" in props:
        return "suggest"
    if "action" in props:
        return "director"
    return "verify" if body.get("max_tokens") == 5 else "line"


@dataclass
class Router:
    """Answers each request by purpose: scripted lines in turn, judge/suggest/director answers."""

    lines: list[str | Reply] = field(default_factory=list)
    default_line: str = "Hold on. Stay with me."
    judge: bool | Scene = False  # a scene: answer as the offline reading of the words would
    replies: list[str] = field(default_factory=lambda: ["I'm here.", "What now?", "Tell me more."])
    director: dict[str, str] = field(default_factory=lambda: {
        "action": "continue", "text": "", "reason": "pacing is fine"})
    verify: Reply | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def __call__(self, body: dict[str, Any]) -> Reply:
        purpose = purpose_of(body)
        self.counts[purpose] = self.counts.get(purpose, 0) + 1
        if purpose == "judge":
            props = body["tools"][0]["input_schema"]["properties"] if body.get("tools") else \
                body["response_format"]["json_schema"]["schema"]["properties"]
            if isinstance(self.judge, Scene):
                return Reply(tool_input=agreeing_judge(self.judge, body, list(props)))
            return Reply(tool_input=dict.fromkeys(props, self.judge))
        if purpose == "suggest":
            return Reply(tool_input={"replies": self.replies})
        if purpose == "director":
            return Reply(tool_input=self.director)
        if purpose == "verify":
            return self.verify or Reply(chunks=["OK"])
        line = self.lines.pop(0) if self.lines else self.default_line
        if isinstance(line, Reply):
            return line
        return Reply(chunks=list(split(line)))


def agreeing_judge(scene: Scene, body: dict[str, Any], ids: list[str]) -> dict[str, bool]:
    """A fake model's verdicts: what the offline reading of the judged words says (a judge that
    understands as well as the keywords do, so playthrough files keep their meaning)."""
    content = body["messages"][-1]["content"]
    text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
    words = text.rsplit(OPEN + "\n", 1)[-1].split("\n" + CLOSE, 1)[0]
    signals = {s.id: s for s in scene.signals}
    return {i: offline_fires(signals[i], words) is not None for i in ids}


def split(text: str, size: int = 6) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start:start + size]


class _Routed:
    router: Router
    seen: list[Any]

    def next_reply(self) -> Reply:  # the body of the request being served is the last one seen
        return self.router(self.seen[-1].body)


class RoutedAnthropic(_Routed, FakeAnthropic):
    """The fake Anthropic server, answering by purpose (see ``Router``)."""

    def __init__(self, router: Router | None = None) -> None:
        super().__init__()
        self.router = router or Router()


class RoutedOpenAI(_Routed, FakeOpenAI):
    """The fake OpenAI server, answering by purpose (see ``Router``)."""

    def __init__(self, router: Router | None = None) -> None:
        super().__init__()
        self.router = router or Router()


class NoSleep:
    """An injected retry sleep: records delays, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def claude(server: FakeAnthropic, **options: Any) -> AnthropicChatModel:
    options.setdefault("max_retries", 2)
    options.setdefault("sleep", NoSleep())
    return AnthropicChatModel(api_key="sk-ant-test", model="claude-test", base_url=server.url,
                              rand=lambda: 0.5, **options)


def settings(**values: Any) -> Settings:
    values.setdefault("suggestions", False)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Harness:
    """A started session with its engine, fake clock and an event subscription."""

    engine: Engine
    session: Session
    clock: FakeClock
    sub: Any
    seen: list[ev.Event] = field(default_factory=list)

    def absorb(self) -> list[ev.Event]:
        new = self.sub.drain()
        self.seen.extend(new)
        return new

    def of(self, kind: type[E]) -> list[E]:
        self.absorb()
        return [e for e in self.seen if isinstance(e, kind)]

    async def next(self, kind: type[E], where: Callable[[E], bool] = lambda e: True) -> E:
        """Wait for the next event of ``kind`` (events already absorbed do not count)."""
        async with asyncio.timeout(WAIT):
            async for event in self.sub:
                self.seen.append(event)
                if isinstance(event, kind) and where(event):
                    return event
        raise AssertionError(f"the session ended without a {kind.__name__}")

    async def wait(self, seconds: float) -> None:
        s = self.session
        for _ in range(int(seconds)):
            if s.ended:
                break
            await self.clock.advance(1.0)
            await s.settle()

    async def settle(self) -> None:
        async with asyncio.timeout(WAIT):
            await self.session.settle()
        self.absorb()


@asynccontextmanager
async def harness(scene: Scene, *, model: ChatModel | None = None, seed: int = 1,
                  record_dir: Path | None = None, replay_dir: Path | None = None,
                  start: bool = True, **settings_values: Any) -> AsyncIterator[Harness]:
    clock = FakeClock()
    async with Engine.open(settings(**settings_values), clock=clock, model=model,
                           record_dir=record_dir, replay_dir=replay_dir) as engine:
        session = await engine.new_session(
            SessionRequest(scene.id, seed=seed, pace=0), scene=scene)
        h = Harness(engine, session, clock, session.events())
        try:
            if start:
                await session.start()
                await h.settle()
            yield h
        finally:
            await session.close()


async def play_file(h: Harness, file: Path) -> None:
    """Drive a session through a .play file's say/press/wait steps (expectations are skipped:
    they describe the understudy's lines)."""
    steps, problems = parse_play(file)
    assert not problems, problems
    for step in steps:
        if h.session.ended:
            break
        if step.command == "say":
            await h.session.say(step.arg)
        elif step.command == "press":
            await h.session.press(step.arg)
        elif step.command == "wait":
            await h.wait(float(step.arg))
        await h.settle()


