"""Engine overhead to the first text delta and the first complete sentence, against a fake server.

The fake server waits ``--ttft-ms`` before the first token, then sends ``--tokens-per-s`` tokens
a second. Overhead is what the ChatModel (SDK, driver, retries, metrics) adds on top of that
schedule; a raw aiohttp SSE reader of the same server gives the floor to compare with.

    python benchmarks/turn_latency.py --provider anthropic --turns 60 --ttft-ms 250 --tokens-per-s 80
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors.llm.base import ChatModel, ChatRequest, Message, SystemBlock, TextDelta
from digital_actors.logging import configure_logging
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sse_server import FakeServer, Reply

REPLY = "The pressure's holding for now. Seal the hatch, then get to the pump! We have ninety seconds."
TOKENS = re.findall(r"\S+\s*", REPLY)
SENTENCE_END = re.compile(r"[.!?](\s|$)")
REQUEST = ChatRequest(system=(SystemBlock("You are Mara, the engineer. " * 40, cache=True),),
                      messages=(Message("user", "What do we do?"),), max_tokens=120)

Turn = tuple[float, float]  # seconds to first delta, seconds to first complete sentence


def first_sentence_tokens() -> int:
    """How many tokens the server must send before the first sentence is complete."""
    text = ""
    for i, token in enumerate(TOKENS, 1):
        text += token
        if SENTENCE_END.search(text):
            return i
    return len(TOKENS)


async def model_turn(model: ChatModel, request: ChatRequest = REQUEST) -> Turn:
    """Seconds to the first delta and to the first complete sentence of one streamed request."""
    start = time.perf_counter()
    first = sentence = 0.0
    text = ""
    async for item in model.stream(request):
        if isinstance(item, TextDelta):
            now = time.perf_counter() - start
            first = first or now
            text += item.text
            if not sentence and SENTENCE_END.search(text):
                sentence = now
    return first, sentence


def raw_turn(server: FakeServer, provider: str,
             session: aiohttp.ClientSession) -> Callable[[], Awaitable[Turn]]:
    """The floor: post and read the SSE lines directly, no SDK, no driver."""
    if provider == "anthropic":
        url, body = f"{server.url}/v1/messages", {"model": "m", "stream": True, "max_tokens": 120,
                                                  "messages": [{"role": "user", "content": "?"}]}
    else:
        url, body = f"{server.url}/v1/chat/completions", {
            "model": "m", "stream": True, "messages": [{"role": "user", "content": "?"}]}

    async def turn() -> Turn:
        start = time.perf_counter()
        first = sentence = 0.0
        text = ""
        async with session.post(url, json=body) as response:
            async for raw in response.content:
                line = raw.decode().strip()
                if not line.startswith("data: {"):
                    continue
                data = json.loads(line[6:])
                piece = (data.get("delta", {}).get("text") if provider == "anthropic" else
                         (data.get("choices") or [{}])[0].get("delta", {}).get("content"))
                if piece:
                    now = time.perf_counter() - start
                    first = first or now
                    text += piece
                    if not sentence and SENTENCE_END.search(text):
                        sentence = now
        return first, sentence
    return turn


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def report(name: str, turns: list[Turn], ttft: float, sentence_at: float) -> tuple[float, float]:
    first = [(t[0] - ttft) * 1000 for t in turns]
    sentence = [(t[1] - sentence_at) * 1000 for t in turns]
    print(f"{name:>10}  first delta overhead   median {statistics.median(first):7.2f} ms"
          f"   p99 {p99(first):7.2f} ms")
    print(f"{'':>10}  first sentence overhead median {statistics.median(sentence):7.2f} ms"
          f"   p99 {p99(sentence):7.2f} ms")
    return statistics.median(first), statistics.median(sentence)


async def main(args: argparse.Namespace) -> None:
    ttft, gap = args.ttft_ms / 1000, 1 / args.tokens_per_s
    sentence_at = ttft + (first_sentence_tokens() - 1) * gap
    reply = Reply(chunks=TOKENS, first_delay=ttft, chunk_delay=gap)
    server: FakeServer = FakeAnthropic(default=reply) if args.provider == "anthropic" \
        else FakeOpenAI(default=reply)
    async with server:
        model: ChatModel
        if args.provider == "anthropic":
            from digital_actors.llm.anthropic import AnthropicChatModel
            model = AnthropicChatModel(api_key="bench", model="bench", base_url=server.url)
        else:
            from digital_actors.llm.openai_compat import local_chat
            model = local_chat(base_url=f"{server.url}/v1", model="bench")
        async with aiohttp.ClientSession() as session:
            raw = raw_turn(server, args.provider, session)
            for _ in range(args.warmup):
                await model_turn(model)
                await raw()
            model_turns, raw_turns = [], []
            for _ in range(args.turns):  # interleaved so drift affects both alike
                model_turns.append(await model_turn(model))
                raw_turns.append(await raw())
        await model.aclose()
    print(f"provider={args.provider} turns={args.turns} ttft={args.ttft_ms:g} ms "
          f"rate={args.tokens_per_s:g} tok/s first sentence after {first_sentence_tokens()} tokens")
    engine = report("ChatModel", model_turns, ttft, sentence_at)
    floor = report("raw SSE", raw_turns, ttft, sentence_at)
    print(f"ChatModel adds {engine[0] - floor[0]:.2f} ms to the first delta and "
          f"{engine[1] - floor[1]:.2f} ms to the first sentence over a raw SSE reader (medians)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=["anthropic", "openai"], default="anthropic")
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--ttft-ms", type=float, default=250.0)
    parser.add_argument("--tokens-per-s", type=float, default=80.0)
    configure_logging(level="WARNING")
    asyncio.run(main(parser.parse_args()))
