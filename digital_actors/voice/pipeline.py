"""One line's voice: sentences in, ordered audio chunks out, with bounded lookahead.

The session hands each sentence over (``say``) the moment the chunker completes it, and never
waits: text is not held back for audio. Synthesis of sentence N+1 starts while N is still
being emitted or played (``lookahead`` sentences in flight at most). ``cancel`` stops the
synthesis and the playback at once; nothing is emitted after it. The pipeline knows nothing
about sessions beyond the names it is given for the voice's pool (``session``, ``line``): the
caller turns ``AudioOut`` into AudioChunk / AudioFinished events.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import SentenceRef, Voice, VoiceProfile, closing
from digital_actors.voice.tags import prepare_for_voice

log = structlog.get_logger()


class AudioSink(Protocol):
    """Where audio is played locally (``TerminalPlayback``, for the line mode and the TUI); the web
    has none. ``write`` raises ``VoiceError`` once when there is no device."""

    volume: float

    def write(self, data: bytes, sample_rate: int) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class AudioOut:
    """One chunk of a line's audio: ``seq`` counts from 0 across the whole line."""

    seq: int
    sentence: int
    pcm: bytes
    sample_rate: int


@dataclass
class _Job:
    index: int
    text: str
    audio: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)  # None: done
    task: asyncio.Task[None] | None = None


class VoicePipeline:
    """Use as ``async with VoicePipeline(voice, profile, sink=...) as pipe:``.

    Feed ``say(sentence)`` ... ``finish()``; iterate ``chunks()`` (once) for the audio.
    ``first_audio_s`` is the time from the first sentence to the first chunk. ``session`` and
    ``line`` name whose line this is for a local voice's pool (``SentenceRef``); by default
    the pipeline is a line of its own.
    """

    def __init__(self, voice: Voice, profile: VoiceProfile, *, sink: AudioSink | None = None,
                 lookahead: int = 2, clock: Clock | None = None,
                 on_error: Callable[[VoiceError], None] | None = None,
                 session: str | None = None, line: str | None = None) -> None:
        if lookahead < 1:
            raise ValueError("lookahead must be at least 1")
        self.voice = voice
        self.profile = profile
        self.line = line or f"line-{uuid.uuid4().hex[:8]}"
        self.session = session or self.line
        self.sink = sink
        self.on_error = on_error
        self.errors: list[VoiceError] = []
        self.first_audio_s: float | None = None
        self.chunks_out = 0
        self.cancelled = False
        self._clock = clock or MonotonicClock()
        self._slots = asyncio.Semaphore(lookahead)
        self._sentences: asyncio.Queue[str | None] = asyncio.Queue()
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._live: list[_Job] = []
        self._said = 0
        self._finished = False
        self._first_said_at: float | None = None
        self._voice_broken = False
        self._scheduler: asyncio.Task[None] | None = None

    async def __aenter__(self) -> VoicePipeline:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def start(self) -> None:
        if self._scheduler is None:
            self._scheduler = asyncio.create_task(self._schedule(), name="voice-scheduler")

    def say(self, sentence: str) -> None:
        """Queue a sentence for the voice; returns at once."""
        if self.cancelled:
            return
        if self._finished:
            raise RuntimeError("say() after finish()")
        if self._first_said_at is None:
            self._first_said_at = self._clock.now()
        self._sentences.put_nowait(sentence)

    def finish(self) -> None:
        """No more sentences: ``chunks()`` ends after the last one's audio."""
        if not self._finished:
            self._finished = True
            self._sentences.put_nowait(None)

    async def chunks(self) -> AsyncIterator[AudioOut]:
        """The line's audio in order, also written to the sink; stops at once on cancel."""
        self.start()
        while not self.cancelled:
            job = await self._jobs.get()
            if job is None or self.cancelled:
                return
            try:
                while (data := await job.audio.get()) is not None and not self.cancelled:
                    out = AudioOut(self.chunks_out, job.index, data, self.voice.sample_rate)
                    if self.first_audio_s is None and self._first_said_at is not None:
                        self.first_audio_s = self._clock.now() - self._first_said_at
                    self.chunks_out += 1
                    self._play(data)
                    yield out
                    if self.cancelled:
                        return
            finally:
                self._release(job)

    async def cancel(self) -> None:
        """Stop now: synthesis is cancelled, playback silenced, nothing more is emitted."""
        if self.cancelled:
            return
        self.cancelled = True
        if self.sink is not None:
            self.sink.stop()
        await self._stop_tasks()

    async def aclose(self) -> None:
        """Release everything; cancels work still in flight (a line that was abandoned)."""
        if not self.cancelled:
            pending = [j for j in self._live if j.task is not None and not j.task.done()]
            if pending or (self._scheduler is not None and not self._scheduler.done()):
                self.cancelled = True
        await self._stop_tasks()

    async def _stop_tasks(self) -> None:
        tasks = [t for t in [self._scheduler, *(j.task for j in self._live)] if t is not None]
        for task in tasks:
            task.cancel()
        for job in self._live:
            job.audio.put_nowait(None)
        self._jobs.put_nowait(None)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _release(self, job: _Job) -> None:
        if job in self._live:
            self._live.remove(job)
            self._slots.release()

    def _play(self, data: bytes) -> None:
        if self.sink is None:
            return
        try:
            self.sink.write(data, self.voice.sample_rate)
        except VoiceError as error:
            self.sink = None  # one notice, then text (and the web stream) only
            self._report(error)

    def _report(self, error: VoiceError) -> None:
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    async def _schedule(self) -> None:
        while (text := await self._sentences.get()) is not None:
            await self._slots.acquire()
            job = _Job(self._said, text)
            self._said += 1
            self._live.append(job)
            job.task = asyncio.create_task(self._synthesize(job), name=f"voice-sentence-{job.index}")
            self._jobs.put_nowait(job)
        self._jobs.put_nowait(None)

    async def _synthesize(self, job: _Job) -> None:
        try:
            if self._voice_broken:
                return
            parts = 0  # spoken pieces of this sentence so far (tags split it)
            for segment in prepare_for_voice(job.text, self.voice.performs_tags):
                if segment.pause_ms:
                    job.audio.put_nowait(pcm.silence(segment.pause_ms, self.voice.sample_rate))
                    continue
                ref = SentenceRef(self.session, self.line, job.index, parts)
                parts += 1
                async with closing(self.voice.synthesize(segment.text, self.profile, sentence=ref)) as stream:
                    async for data in stream:
                        if data:
                            job.audio.put_nowait(data)
        except VoiceError as error:
            if not error.retryable:
                self._voice_broken = True  # a bad key or voice id: don't ask again this line
            log.warning("voice.sentence_failed", provider=self.voice.name, sentence=job.index,
                        retryable=error.retryable)
            self._report(error)
        except Exception as exc:  # a provider bug must not take the line (or the session) down
            log.exception("voice.sentence_crashed", provider=self.voice.name, sentence=job.index)
            self._voice_broken = True
            self._report(VoiceError(f"The {self.voice.name} voice failed ({type(exc).__name__}).",
                                    "The line is shown as text; see the log for details."))
        finally:
            job.audio.put_nowait(None)
