"""Voice under load: N players send a message at the same moment; when does each hear the reply?

Every player has a real ``Session`` from the real ``Engine`` with the REAL Piper voice (the
packaged en_US voice; the voice cache is off, so every sentence is synthesised). The model is a
scripted ``ChatModel`` paced like a hosted one: ``--ttft`` to the first token, then
``--tokens-per-s`` tokens of 4 characters. Printed per N (nothing here is asserted anywhere):

* sentence -> audio: from the text delta that completes the reply's first sentence to the
  reply's first ``AudioChunk`` (the voice's own latency; the target at N=1 is 0.5 s);
* message -> audio: from the message to the first ``AudioChunk`` (median and p99; targets
  2.5 s median at N=50, p99 20 s at N=200), and the share of players who heard the reply
  within 2.5 s, 20 s and ``--deadline``;
* stalls: how long each player would sit in silence between the first and the last chunk of
  the reply if audio played as it arrived (the price of serving first sentences first);
* the process's CPU use (cores busy) over the measured window.

    python benchmarks/voice_load.py                     # N = 1, 50, 200
    python benchmarks/voice_load.py -n 50 -n 200 --workers 1
    python benchmarks/voice_load.py -n 200 --spread 20   # messages arriving over 20 s

With ``--spread`` every time is from that player's own message.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors import events as ev
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.llm.base import ChatRequest, StreamItem
from digital_actors.llm.fake import ScriptedChatModel
from digital_actors.logging import configure_logging
from digital_actors.scene.loader import load_scene
from digital_actors.turn.session import Session
from digital_actors.voice import pcm
from digital_actors.voice.base import VoiceProfile

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = "What do we do now?"
REPLY = ("The pressure's holding for now. Seal the hatch, then get to the pump! "
         "We have ninety seconds before the next surge hits the lower deck. "
         "Move, and don't look back.")
SENTENCE_END = re.compile(r"[.!?](\s|$)")


class PacedModel(ScriptedChatModel):
    """A hosted model's pace: ``ttft`` seconds to the first token, then ``rate`` 4-character tokens/s."""

    def __init__(self, reply: str, *, ttft: float, rate: float) -> None:
        super().__init__(lambda _request: reply, chunk_size=4, delay_per_chunk=1 / rate)
        self.ttft = ttft

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        await asyncio.sleep(max(0.0, self.ttft - self._delay))  # the first chunk waits one gap more
        async for item in super().stream(request):
            yield item


@dataclass
class Heard:
    """One player's reply, in seconds from the message."""

    sentence: float | None = None  # the first complete sentence is in the text
    audio: float | None = None  # the first AudioChunk
    stall: float = 0.0  # silence between chunks if played as they arrive
    chunks: int = 0
    played_until: float = 0.0
    sample_rate: int = 0
    finished: bool = False
    errors: list[str] = field(default_factory=list)

    def chunk(self, at: float, data: bytes, sample_rate: int) -> None:
        if self.audio is None:
            self.audio, self.played_until = at, at
        elif at > self.played_until:
            self.stall += at - self.played_until
            self.played_until = at
        self.played_until += pcm.duration_ms(data, sample_rate) / 1000
        self.chunks += 1


async def listen(session: Session, sub: Any, start: float, deadline: float) -> Heard:
    """Follow one player's events until the reply's audio is finished (or the deadline)."""
    heard, line_id, text = Heard(), None, ""
    try:
        async with asyncio.timeout(max(0.0, start + deadline - time.perf_counter())):
            async for event in sub:
                now = time.perf_counter() - start
                if isinstance(event, ev.LineStarted) and event.cue == "reply":
                    line_id = event.line_id
                elif isinstance(event, ev.LineDelta) and event.line_id == line_id:
                    text += event.text
                    if heard.sentence is None and SENTENCE_END.search(text):
                        heard.sentence = now
                elif isinstance(event, ev.AudioChunk) and event.line_id == line_id:
                    heard.chunk(now, event.pcm, event.sample_rate)
                elif isinstance(event, ev.Notice | ev.TurnFailed):
                    heard.errors.append(event.message if isinstance(event, ev.TurnFailed) else event.text)
                elif isinstance(event, ev.AudioFinished) and event.line_id == line_id:
                    heard.finished = True
                    break
    except TimeoutError:
        pass
    return heard


def settings(workers: int | None) -> Settings:
    values: dict[str, Any] = {"voice": True, "voice_provider": "piper", "voice_cache_mb": 0,
                              "suggestions": False}
    if workers is not None:
        if "voice_workers" not in Settings.model_fields:
            raise SystemExit("--workers needs the voice pool (VOICE_WORKERS)")
        values["voice_workers"] = workers
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def round_of(engine: Engine, n: int, args: argparse.Namespace) -> tuple[list[Heard], float, float]:
    """N fresh sessions, openings done in silence; then every player speaks at once."""
    scene = load_scene(ROOT / "tests" / "engine" / "fixtures" / "mini")
    scene = scene.model_copy(update={"signals": []})  # no judge: only the reply goes to the model
    sessions = [await engine.new_session(SessionRequest("mini", seed=i, pace=0), scene=scene)
                for i in range(n)]
    for session in sessions:
        session.voice_on = False  # the opening is not what is measured
        await session.start()
    await asyncio.gather(*(s.settle() for s in sessions))
    subs = [s.events() for s in sessions]
    for session in sessions:
        session.voice_on = True
    cpu, start = time.process_time(), time.perf_counter()
    async def player(i: int, session: Session, sub: Any) -> Heard:
        await asyncio.sleep(args.spread * i / n)  # 0: every message at the same moment
        said = time.perf_counter()
        listening = asyncio.create_task(listen(session, sub, said, args.deadline))
        await session.say(MESSAGE)
        return await listening

    heard = await asyncio.gather(*(player(i, s, sub) for i, (s, sub) in enumerate(zip(sessions, subs, strict=True))))
    wall = time.perf_counter() - start
    used = time.process_time() - cpu
    for session in sessions:
        await session.close()
    return heard, wall, used


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(label: str, values: list[float], target: float | None = None) -> str:
    if not values:
        return f"  {label:<26} none"
    median = statistics.median(values)
    text = f"  {label:<26} median {median:7.3f} s   p99 {pct(values, 0.99):7.3f} s"
    if target is not None:
        text += f"   (target {target:g} s: x{median / target:.2f})"
    return text


def report(n: int, heard: list[Heard], wall: float, cpu: float, deadline: float) -> None:
    audio = [h.audio for h in heard if h.audio is not None]
    to_audio = [h.audio - h.sentence for h in heard if h.audio is not None and h.sentence is not None]
    sentence = [h.sentence for h in heard if h.sentence is not None]

    def share(limit: float) -> str:
        return f"{100 * sum(a <= limit for a in audio) / len(heard):5.1f}%"

    print(f"N={n}  ({len(heard)} replies, {wall:.1f} s, CPU {cpu / wall:.2f} cores)")
    print(line("message -> first sentence", sentence))
    print(line("sentence -> first audio", to_audio, 0.5 if n == 1 else None))
    print(line("message -> first audio", audio, 2.5 if n <= 50 else 20.0))
    print(f"  heard within 2.5 s {share(2.5)}   20 s {share(20.0)}   {deadline:g} s {share(deadline)}"
          f"   audio complete {100 * sum(h.finished for h in heard) / len(heard):5.1f}%")
    print(line("stalls after first audio", [h.stall for h in heard if h.audio is not None]))
    errors = sorted({e for h in heard for e in h.errors})
    for error in errors[:3]:
        print(f"  notice: {error}")


async def main(args: argparse.Namespace) -> None:
    model = PacedModel(REPLY, ttft=args.ttft, rate=args.tokens_per_s)
    async with Engine.open(settings(args.workers), clock=FakeClock(), model=model) as engine:
        voice = engine.voice_for_sessions()
        if voice is None or voice.name != "piper":
            raise SystemExit(f"needs Piper: {engine.voice_notice} (pip install -e '.[local-voice]')")
        async for _ in voice.synthesize("Ready.", VoiceProfile("bob")):  # loads the model
            pass
        pool = voice.pool
        workers = f"{pool.workers} workers" if pool is not None else "no pool"
        print(f"voice_load: piper {voice.model}, {workers}, usable cpus {len(os.sched_getaffinity(0))}, "
              f"reply {len(REPLY)} chars at {args.ttft:g} s TTFT + {args.tokens_per_s:g} tokens/s, "
              f"deadline {args.deadline:g} s, messages spread over {args.spread:g} s")
        for n in args.n or [1, 50, 200]:
            if n == 1:  # one player: repeated turns give a median
                results: list[Heard] = []
                wall = cpu = 0.0
                for _ in range(args.turns):
                    heard, w, c = await round_of(engine, 1, args)
                    results += heard
                    wall, cpu = wall + w, cpu + c
                report(1, results, wall, cpu, args.deadline)
            else:
                heard, wall, cpu = await round_of(engine, n, args)
                report(n, heard, wall, cpu, args.deadline)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="players speaking at once (repeatable)")
    parser.add_argument("--turns", type=int, default=10, help="turns measured at N=1")
    parser.add_argument("--ttft", type=float, default=0.3, help="seconds to the model's first token")
    parser.add_argument("--tokens-per-s", type=float, default=50.0)
    parser.add_argument("--deadline", type=float, default=150.0, help="seconds a player waits for audio")
    parser.add_argument("--workers", type=int, help="VOICE_WORKERS (default: the usable cores)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds over which the N messages arrive (default 0: all at once)")
    configure_logging(level="ERROR")
    asyncio.run(main(parser.parse_args()))
