"""The engine's own overhead (session + LLM actor) to the first LineDelta and the first sentence.

A fake Anthropic server waits ``--ttft-ms`` before the first token, then sends
``--tokens-per-s`` tokens a second. Each turn is timed three ways, interleaved: the player's
``say`` to the first LineDelta event / first complete sentence on a session subscription; the
same request straight through the ChatModel (the provider layer alone); and the server's own
schedule. The session's overhead is the difference of medians (and p99s) with the ChatModel.

    python benchmarks/session_latency.py --turns 60 --ttft-ms 250 --tokens-per-s 80
    python benchmarks/session_latency.py --judge      # include the LLM judge's round trip

The fake answers the judge at once (non-streamed replies have no TTFT), so ``--judge`` shows
the engine's cost of a judged signal, not a real model's thinking time.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors import events as ev
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import ChatModel
from digital_actors.logging import configure_logging
from digital_actors.scene.loader import load_scene
from digital_actors.turn.session import Session
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.sse_server import Reply

sys.path.insert(0, str(Path(__file__).resolve().parent))
from turn_latency import SENTENCE_END, Turn
from turn_latency import model_turn as stream_turn

ROOT = Path(__file__).resolve().parents[1]
REPLY = "The pressure's holding for now. Seal the hatch, then get to the pump! We have ninety seconds."
TOKENS = re.findall(r"\S+\s*", REPLY)


class JudgingAnthropic(FakeAnthropic):
    """Streams the reply to line requests and answers structured (judge) calls with "no"."""

    def next_reply(self) -> Reply:
        if self.seen[-1].body.get("tools"):
            props = self.seen[-1].body["tools"][0]["input_schema"]["properties"]
            return Reply(tool_input=dict.fromkeys(props, False))
        return self.default


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def session_turn(session: Session, sub: object, text: str) -> Turn:
    """say() to the first LineDelta of the reply, and to its first complete sentence."""
    start = time.perf_counter()
    await session.say(text)
    first = sentence = 0.0
    shown = ""
    async for event in sub:  # type: ignore[attr-defined]
        if isinstance(event, ev.LineDelta):
            now = time.perf_counter() - start
            first = first or now
            shown += event.text
            if not sentence and SENTENCE_END.search(shown):
                sentence = now
        elif isinstance(event, ev.LineFinished):
            break
    await session.settle()
    sub.drain()  # type: ignore[attr-defined]
    return first, sentence


async def model_turn(model: ChatModel, session: Session) -> Turn:
    """The same (last) request straight through the ChatModel."""
    return await stream_turn(model, session.actor.last_request)  # type: ignore[attr-defined]


def row(name: str, values: list[float]) -> None:
    print(f"  {name:<34} median {statistics.median(values):8.2f} ms   p99 {p99(values):8.2f} ms")


async def main(args: argparse.Namespace) -> None:
    ttft, gap = args.ttft_ms / 1000, 1 / args.tokens_per_s
    reply = Reply(chunks=TOKENS, first_delay=ttft, chunk_delay=gap)
    scene = load_scene(ROOT / "tests" / "engine" / "fixtures" / "mini")
    if not args.judge:
        scene = scene.model_copy(update={"signals": []})
    settings = Settings(_env_file=None, suggestions=False)  # type: ignore[call-arg]
    async with JudgingAnthropic(default=reply) as server:
        model = AnthropicChatModel(api_key="bench", model="bench", base_url=server.url)
        async with Engine.open(settings, clock=FakeClock(), model=model) as engine:
            session = await engine.new_session(SessionRequest("mini", seed=1, pace=0), scene=scene)
            sub = session.events()
            await session.start()
            await session.settle()
            sub.drain()
            sessions: list[Turn] = []
            models: list[Turn] = []
            for i in range(args.warmup + args.turns):
                s = await session_turn(session, sub, f"Turn {i}: what now?")
                m = await model_turn(model, session)
                if i >= args.warmup:
                    sessions.append(s)
                    models.append(m)
            await session.close()
    sentence_at = ttft + 4 * gap  # "The pressure's holding for now." is 5 tokens
    print(f"turns={args.turns} ttft={args.ttft_ms:g} ms rate={args.tokens_per_s:g} tok/s "
          f"judge={'on' if args.judge else 'off'}")
    print("first LineDelta:")
    row("session, from say()", [s[0] * 1000 for s in sessions])
    row("ChatModel alone", [m[0] * 1000 for m in models])
    row("session overhead (paired)", [(s[0] - m[0]) * 1000 for s, m in zip(sessions, models, strict=True)])
    row("session over the server schedule", [(s[0] - ttft) * 1000 for s in sessions])
    print("first complete sentence:")
    row("session, from say()", [s[1] * 1000 for s in sessions])
    row("ChatModel alone", [m[1] * 1000 for m in models])
    row("session overhead (paired)", [(s[1] - m[1]) * 1000 for s, m in zip(sessions, models, strict=True)])
    row("session over the server schedule", [(s[1] - sentence_at) * 1000 for s in sessions])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--ttft-ms", type=float, default=250.0)
    parser.add_argument("--tokens-per-s", type=float, default=80.0)
    parser.add_argument("--judge", action="store_true", help="keep the mini scene's judged signal")
    configure_logging(level="WARNING")
    asyncio.run(main(parser.parse_args()))
