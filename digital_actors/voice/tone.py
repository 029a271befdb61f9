"""``ToneEngine``: a local speech engine with no model, for tests and the pool's benchmarks.

It behaves like Piper where the pool can see it: blocking, one item per sentence of the text
(split after ``. ! ?``), deterministic audio (a tone, ``ms_per_char`` per character), and a
record of what it rendered and how many renders ran at once. ``fail_on`` makes a sentence
raise; ``gate`` holds every render until it is set (a worker kept busy on purpose).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import numpy as np

from digital_actors.voice import pcm
from digital_actors.voice.base import VoiceProfile

SENTENCES = re.compile(r"(?<=[.!?])\s+")


class ToneEngine:
    """A ``LocalEngine``: ``rendered`` lists every sentence in the order the workers ran them."""

    name = "tone"
    model = "tone"

    def __init__(self, *, sample_rate: int = 16_000, ms_per_char: float = 10.0,
                 fail_on: frozenset[str] = frozenset(), gate: threading.Event | None = None) -> None:
        self.sample_rate = sample_rate
        self.ms_per_char = ms_per_char
        self.fail_on = fail_on
        self.gate = gate
        self.rendered: list[str] = []
        self.threads: int | None = None  # what load() was given
        self.active = 0
        self.peak = 0  # most renders at once, counted in the worker threads
        self._count = threading.Lock()

    def load(self, *, threads: int) -> None:
        self.threads = threads

    def render(self, text: str, profile: VoiceProfile) -> Iterator[tuple[bytes, bool]]:
        sentences = SENTENCES.split(text.strip())
        for index, sentence in enumerate(sentences):
            yield self._one(sentence, profile), index == len(sentences) - 1

    def _one(self, sentence: str, profile: VoiceProfile) -> bytes:
        with self._count:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.gate is not None:
                self.gate.wait()
            if sentence in self.fail_on:
                raise RuntimeError(f"cannot say {sentence!r}")
            self.rendered.append(sentence)
            return tone(len(sentence) * self.ms_per_char / max(profile.speed, 0.1), self.sample_rate)
        finally:
            with self._count:
                self.active -= 1


def tone(ms: float, sample_rate: int, hz: float = 220.0) -> bytes:
    """``ms`` milliseconds of a sine tone at half scale (audible, never silence)."""
    t = np.arange(int(sample_rate * ms / 1000)) / sample_rate
    return pcm.from_float(0.5 * np.sin(2 * np.pi * hz * t))
