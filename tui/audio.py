"""Terminal audio: plays the engine's PCM16 AudioChunk events through sounddevice, off the UI loop.

Writes to the device block, so a daemon thread owns the stream and a queue feeds it; an
interrupted line drops what is still queued. No device → one notice, then text only.
"""

from __future__ import annotations

import queue
import threading
from typing import Protocol

import numpy as np
import structlog

from digital_actors.errors import VoiceError
from digital_actors.events import AudioChunk

log = structlog.get_logger()
_STOP = object()


class AudioSink(Protocol):
    """Where the play screen sends voiced lines."""

    def play(self, chunk: AudioChunk, volume: float) -> None: ...

    def cut(self) -> None: ...

    def close(self) -> None: ...


def scale(pcm: bytes, volume: float) -> bytes:
    """PCM16 at ``volume`` (0..1), clipped."""
    if volume >= 0.999:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) * max(volume, 0.0)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


class SoundDevicePlayer:
    """Plays chunks in order on the default output device. ``play`` never blocks."""

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=512)
        self._thread: threading.Thread | None = None
        self.failed: VoiceError | None = None

    def play(self, chunk: AudioChunk, volume: float) -> None:
        if self.failed is not None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._pump, name="tui-audio", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((chunk.sample_rate, scale(chunk.pcm, volume)))
        except queue.Full:  # ~50 s of audio behind: drop rather than stall the UI
            log.warning("tui_audio_queue_full")

    def cut(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        self.cut()
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=2.0)

    def _pump(self) -> None:
        try:
            import sounddevice as sd  # imported here: PortAudio may be missing on servers
        except OSError as e:
            self.failed = VoiceError("no audio library (PortAudio) found", hint="lines are shown as text")
            log.warning("tui_audio_unavailable", error=str(e))
            return
        stream = None
        rate = 0
        try:
            while (item := self._queue.get()) is not _STOP:
                sample_rate, pcm = item  # type: ignore[misc]
                if stream is None or sample_rate != rate:
                    if stream is not None:
                        stream.close()
                    rate = sample_rate
                    stream = sd.RawOutputStream(samplerate=rate, channels=1, dtype="int16")
                    stream.start()
                stream.write(pcm)
        except Exception as e:  # PortAudioError and friends: the game goes on in text
            self.failed = VoiceError(f"audio output failed: {e}", hint="lines are shown as text")
            log.warning("tui_audio_failed", error=str(e))
        finally:
            if stream is not None:
                stream.close()
