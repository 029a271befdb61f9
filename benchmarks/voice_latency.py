"""Voice latency: from the first complete sentence to the first audio chunk, median and p99.

Streams a line token by token through the SentenceChunker into a VoicePipeline and measures
``first_audio_s`` (the moment the first sentence is handed over -> its first PCM chunk):

* ElevenLabs through the real SDK against the local fake server with a known time to first
  byte (so the printed overhead is ours: SDK, HTTP, chunker and pipeline);
* the same through the voice cache (a replayed authored line);
* Piper, when the local-voice extra is installed (CPU synthesis of the first sentence).

Run: ``python benchmarks/voice_latency.py [--runs 40] [--ttfb-ms 150]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digital_actors.voice import piper
from digital_actors.voice.base import Voice, VoiceProfile
from digital_actors.voice.cache import MIB, CachedVoice, VoiceCache
from digital_actors.voice.chunker import SentenceChunker
from digital_actors.voice.elevenlabs import ElevenLabsVoice
from digital_actors.voice.pipeline import VoicePipeline
from tests.voice.fake_elevenlabs import API_KEY, FakeElevenLabs, Reply

LINE = ("The hatch is sealed and the pumps are failing. I need you to open the valve, now. "
        "Can you hear me back there?")
PROFILE = VoiceProfile("engineer", voice_id="bench-voice")


def tokens(text: str, size: int = 4) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


async def first_audio(voice: Voice) -> float:
    """One line: stream tokens into the chunker, sentences into the pipeline; first-audio time."""
    chunker = SentenceChunker()
    async with VoicePipeline(voice, PROFILE) as pipe:
        for token in tokens(LINE):
            for sentence in chunker.feed(token):
                pipe.say(sentence)
            await asyncio.sleep(0)  # the model's stream yields between tokens
        for sentence in chunker.flush():
            pipe.say(sentence)
        pipe.finish()
        async for _ in pipe.chunks():
            pass
    if pipe.first_audio_s is None:
        raise RuntimeError("no audio")
    return pipe.first_audio_s


def summary(name: str, samples: list[float], baseline_ms: float | None = None) -> str:
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000
    extra = "" if baseline_ms is None else f"   overhead over TTFB {median - baseline_ms:6.1f} ms"
    return f"{name:<34} n={len(samples):<3} median {median:7.1f} ms   p99 {p99:7.1f} ms{extra}"


async def main(runs: int, ttfb_ms: float) -> None:
    print(f"first complete sentence -> first audio chunk ({runs} lines each)")
    async with FakeElevenLabs(default=Reply(first_byte_delay=ttfb_ms / 1000)) as fake:
        voice = ElevenLabsVoice(api_key=API_KEY, base_url=fake.base_url)
        await voice.warm()
        await first_audio(voice)  # warm-up
        samples = [await first_audio(voice) for _ in range(runs)]
        print(summary(f"elevenlabs (fake, TTFB {ttfb_ms:.0f} ms)", samples, ttfb_ms))
        with tempfile.TemporaryDirectory() as tmp:
            cached = CachedVoice(voice, VoiceCache(Path(tmp), max_bytes=64 * MIB))
            await first_audio(cached)  # fills the cache
            samples = [await first_audio(cached) for _ in range(runs)]
            print(summary("elevenlabs via voice cache (hit)", samples))
        await voice.aclose()
    if piper.available():
        local = piper.PiperVoice()
        await first_audio(local)  # loads the model
        samples = [await first_audio(local) for _ in range(max(5, runs // 4))]
        print(summary(f"piper ({local.model}, CPU)", samples))
        await local.aclose()
    else:
        print("piper: not installed (pip install -e '.[local-voice]')")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--ttfb-ms", type=float, default=150.0)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.ttfb_ms))
