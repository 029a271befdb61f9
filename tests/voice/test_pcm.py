"""PCM16 helpers and retry backoff."""

from __future__ import annotations

import random

import numpy as np

from digital_actors.voice import pcm
from digital_actors.voice.retry import backoff_delay, parse_retry_after


def test_silence_split_and_duration() -> None:
    audio = pcm.silence(250, 16_000)
    assert len(audio) == 8_000 and pcm.duration_ms(audio, 16_000) == 250
    assert [len(p) for p in pcm.split(audio, pcm.chunk_bytes(16_000))] == [3200, 3200, 1600]
    assert pcm.chunk_bytes(16_000, 0) == 2


def test_float_conversion_clips() -> None:
    out = np.frombuffer(pcm.from_float(np.array([0.0, 0.5, 2.0, -2.0])), dtype="<i2")
    assert out.tolist() == [0, 16383, 32767, -32767]


def test_resample_and_pitch_shift_change_length_by_the_ratio() -> None:
    audio = pcm.from_float(np.sin(np.linspace(0, 50, 24_000)))
    assert len(pcm.resample(audio, 24_000, 16_000)) == 16_000 * 2
    assert pcm.resample(audio, 24_000, 24_000) is audio
    up = pcm.shift_pitch(audio, 12.0)  # an octave up: half as long before the pace correction
    assert len(up) == 12_000 * 2
    assert pcm.shift_pitch(audio, 0.0) is audio
    assert abs(pcm.pitch_factor(12.0) - 2.0) < 1e-9


def test_peak() -> None:
    assert pcm.peak(b"") == 0
    assert pcm.peak((-32768).to_bytes(2, "little", signed=True)) == 32768


def test_backoff_honours_retry_after_and_grows_with_jitter() -> None:
    rng = random.Random(7)
    assert 3.0 <= backoff_delay(0, base=0.5, cap=4, retry_after=3.0, rng=rng) <= 3.3
    delays = [backoff_delay(a, base=0.5, cap=4, retry_after=None, rng=rng) for a in range(6)]
    for attempt, delay in enumerate(delays):
        step = min(4, 0.5 * 2 ** attempt)
        assert step / 2 <= delay <= step
    assert parse_retry_after({"Retry-After": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
