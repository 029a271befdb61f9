"""PCM16 mono little-endian helpers: silence, slicing, float conversion, volume, resampling.

Every voice in this package speaks this one format, so the terminal and the browser need no
decoder. numpy does the arithmetic; each helper is cheap enough to call per chunk.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

SAMPLE_WIDTH = 2  # bytes per sample (int16)
CHUNK_MS = 100  # slice size for replayed/local audio: small enough to start fast


def duration_ms(pcm: bytes, sample_rate: int) -> float:
    """How long ``pcm`` plays, in milliseconds."""
    return 1000.0 * (len(pcm) // SAMPLE_WIDTH) / sample_rate


def silence(ms: float, sample_rate: int) -> bytes:
    """``ms`` milliseconds of digital silence."""
    return bytes(int(sample_rate * ms / 1000.0) * SAMPLE_WIDTH)


def chunk_bytes(sample_rate: int, ms: int = CHUNK_MS) -> int:
    """Bytes in a chunk of ``ms`` milliseconds (always a whole number of samples, at least one)."""
    return max(SAMPLE_WIDTH, int(sample_rate * ms / 1000) * SAMPLE_WIDTH)


def split(pcm: bytes, size: int) -> Iterator[bytes]:
    """``pcm`` in pieces of ``size`` bytes (the last may be shorter)."""
    for start in range(0, len(pcm), size):
        yield pcm[start:start + size]


def from_float(samples: npt.NDArray[np.floating]) -> bytes:
    """Float samples in [-1, 1] to PCM16 bytes (clipped, little-endian)."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32).ravel(), -1.0, 1.0)
    return bytes((clipped * 32767.0).astype("<i2").tobytes())


def scale(pcm: bytes, gain: float) -> bytes:
    """Volume: multiply every sample by ``gain``, saturating at the int16 limits (no wrap-around)."""
    if gain == 1.0:
        return pcm
    if gain <= 0.0:
        return bytes(len(pcm))
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) * gain
    return bytes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())


def resample(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Linear-interpolation resampling; good enough for speech and for device-rate fallbacks."""
    if src_rate == dst_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    count = max(1, round(len(samples) * dst_rate / src_rate))
    positions = np.linspace(0.0, len(samples) - 1, num=count)
    out = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()


def peak(pcm: bytes) -> int:
    """The largest absolute sample value (0 for silence)."""
    if len(pcm) < SAMPLE_WIDTH:
        return 0
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH], dtype="<i2")
    return int(np.abs(samples.astype(np.int32)).max())


def pitch_factor(semitones: float) -> float:
    """Frequency ratio of a shift by ``semitones`` (12 = one octave up)."""
    return float(2.0 ** (semitones / 12.0))


def shift_pitch(pcm: bytes, semitones: float) -> bytes:
    """Raise or lower pitch by resampling; the clip gets shorter/longer by the same factor.

    Callers render speech slower/faster by ``pitch_factor`` first, so the pace is unchanged.
    """
    if not semitones:
        return pcm
    count = len(pcm) // SAMPLE_WIDTH
    return resample(pcm, 1_000_000, max(1, round(1_000_000 / pitch_factor(semitones)))) if count else pcm
