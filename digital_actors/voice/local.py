"""Local (CPU) voices: a blocking speech engine whose every sentence is a job in the pool.

A ``LocalEngine`` (Piper, Kokoro, the fake ``ToneEngine``) only knows how to load a model and
turn text into PCM16, blocking. ``LocalVoice`` makes it a ``Voice``: it loads the model once,
runs each sentence the engine produces as one ``SynthesisPool`` job (so a second sentence
never delays the first) and streams the audio in small chunks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import SentenceRef, VoiceProfile
from digital_actors.voice.metrics import TTS_LATENCY, record_error
from digital_actors.voice.pool import SynthesisPool


class LocalEngine(Protocol):
    """A CPU speech engine. Both methods block; they run in worker threads, never on the loop."""

    name: str
    model: str
    sample_rate: int

    def load(self, *, threads: int) -> None:
        """Load the model once; ``threads`` is how many threads one synthesis may use."""

    def render(self, text: str, profile: VoiceProfile) -> Iterator[tuple[bytes, bool]]:
        """PCM16 of ``text``, one sentence per item, each with whether it is the last.

        Each ``next`` is one job in the pool; the flag spares a job that would only find the
        end (under load it would wait a turn and hold the line's next sentence back).
        """
        ...


def onnx_options(threads: int) -> Any:
    """onnxruntime session options for one job on ``threads`` threads.

    onnxruntime's default is a thread per physical core for every session; with one job per
    core already running that only oversubscribes (Piper, a burst of sentences on 2 cores:
    49 ms a sentence with two jobs of one thread, 71 ms with two jobs of two; see
    benchmarks/voice_workers.py). Idle intra-op threads also spin, burning a core another job
    (or the event loop) needs, so spinning is off.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class LocalVoice:
    """A ``Voice`` over a ``LocalEngine``: sentences run in ``pool``, first sentences first.

    Without a ``pool`` the voice makes its own of ``workers`` threads (default: the usable
    cores) and closes it with the voice; a given pool is its creator's to close.
    """

    performs_tags = False

    def __init__(self, engine: LocalEngine, *, title: str, pool: SynthesisPool | None = None,
                 workers: int | None = None, chunk_ms: int = pcm.CHUNK_MS,
                 clock: Clock | None = None) -> None:
        self.engine = engine
        self.title = title  # "Piper", for messages
        self.name, self.model, self.sample_rate = engine.name, engine.model, engine.sample_rate
        self._owns_pool = pool is None
        self._pool = pool or SynthesisPool(workers=workers)
        self.chunk_ms = chunk_ms
        self._clock = clock or MonotonicClock()
        self._loaded = False
        self._lock = asyncio.Lock()

    @property
    def pool(self) -> SynthesisPool:
        return self._pool

    async def warm(self) -> None:
        """Load the model now rather than on the first line."""
        await self._load()

    async def _load(self) -> None:
        async with self._lock:
            if self._loaded:
                return
            try:
                await asyncio.to_thread(self.engine.load, threads=self._pool.threads_per_job)
            except VoiceError:
                record_error(self.name, "load")
                raise
            except Exception as exc:
                record_error(self.name, "load")
                raise VoiceError(f"Could not load the {self.title} voice: {exc}",
                                 "See the log for details; the line is shown as text.") from exc
            self._loaded = True

    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        if not text.strip():
            return
        await self._load()
        ref = sentence or SentenceRef()
        started = self._clock.now()
        pieces = self.engine.render(text, profile)  # nothing runs until the first job
        size = pcm.chunk_bytes(self.sample_rate, self.chunk_ms)
        for part in itertools.count():
            job = functools.partial(next, pieces, None)
            try:
                item = await self._pool.run(job, sentence=dataclasses.replace(ref, part=ref.part + part))
            except VoiceError:
                record_error(self.name, "synthesis")
                raise
            except Exception as exc:
                record_error(self.name, "synthesis")
                raise VoiceError(f"{self.title} could not speak this line: {exc}",
                                 "The line is shown as text.") from exc
            if item is None:
                return
            audio, last = item
            if part == 0:
                TTS_LATENCY.labels(provider=self.name).observe(self._clock.now() - started)
            for piece in pcm.split(audio, size):
                yield piece
            if last:
                return

    async def aclose(self) -> None:
        if self._owns_pool:
            await self._pool.aclose()
