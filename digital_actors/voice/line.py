"""One line's voice inside a session: raw text deltas in, AudioChunk / AudioFinished events out.

Sentences go to the voice the moment the chunker completes them, while the actor is still
streaming; the line's text is never held back for its audio. ``cancel`` (an interruption)
stops synthesis at once and ends the line's audio with ``AudioFinished(interrupted=True)``.
Each sentence reaches the voice with its line, its index and whose turn it is (``session``),
so a local voice's pool serves first sentences first and takes sessions in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from digital_actors import events as ev
from digital_actors.clock import Clock
from digital_actors.errors import VoiceError
from digital_actors.text import strip_tags
from digital_actors.voice.base import Voice, VoiceProfile
from digital_actors.voice.chunker import SentenceChunker
from digital_actors.voice.pipeline import VoicePipeline


class LineSpeech:
    """Speaks one line. ``start`` it, ``feed`` raw deltas, then ``finish`` or ``cancel``."""

    def __init__(self, voice: Voice, profile: VoiceProfile, *, line_id: str, emit: Callable[[ev.Event], None],
                 clock: Clock, on_error: Callable[[VoiceError], None] | None = None,
                 session: str | None = None) -> None:
        """``session`` is the pool's fairness key; it defaults to the line, which is the same
        thing while a session speaks one line at a time (lines never overlap, and a cut line's
        queued sentences are dropped before the next line starts)."""
        self.line_id, self._emit, self._clock = line_id, emit, clock
        self._pipe = VoicePipeline(voice, profile, clock=clock, on_error=on_error,
                                   session=session or line_id, line=line_id)
        self._chunker = SentenceChunker()
        self._pump: asyncio.Task[None] | None = None
        self.first_chunk_at: float | None = None
        self.sentences = 0
        self._texts: list[str] = []  # each sentence handed to the voice, as displayed
        self._heard = -1  # the last sentence whose audio has started

    def start(self) -> None:
        self._pipe.start()
        self._pump = asyncio.create_task(self._run(), name=f"voice-{self.line_id}")

    async def _run(self) -> None:
        async for out in self._pipe.chunks():
            if self.first_chunk_at is None:
                self.first_chunk_at = self._clock.now()
            while self._heard < out.sentence and self._heard + 1 < len(self._texts):
                self._heard += 1
                self._emit(ev.SpeechStarted(self.line_id, self._heard, self._texts[self._heard]))
            self._emit(ev.AudioChunk(self.line_id, out.seq, out.sample_rate, out.pcm))

    def feed(self, delta: str) -> bool:
        """Hand over the sentences this delta completes. True when at least one completed."""
        done = self._chunker.feed(delta)
        for sentence in done:
            self._say(sentence)
        return bool(done)

    def _say(self, sentence: str) -> None:
        if sentence.strip():
            self.sentences += 1
            self._texts.append(strip_tags(sentence))
            self._pipe.say(sentence)

    async def finish(self) -> None:
        """The text is complete: speak the rest, wait for the audio, end with AudioFinished."""
        for sentence in self._chunker.flush():
            self._say(sentence)
        self._pipe.finish()
        try:
            if self._pump is not None:
                await self._pump
        finally:
            await self._pipe.aclose()
        self._emit(ev.AudioFinished(self.line_id, self._pipe.chunks_out))

    async def cancel(self) -> None:
        """Stop now: no chunk is emitted after this; AudioFinished says the line was cut."""
        await self._pipe.cancel()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        await self._pipe.aclose()
        self._emit(ev.AudioFinished(self.line_id, self._pipe.chunks_out, interrupted=True))
