"""Terminal playback with sounddevice: one output stream fed from a thread-safe PCM buffer.

The event loop appends audio with ``write``; PortAudio's callback thread pulls exactly one
block at a time and pads with zeros, so chunks and sentences play back to back without gaps,
and ``stop`` (drop everything queued) is heard within one block plus the device latency
(20 ms + ~10-30 ms). No PortAudio or no output device raises one ``VoiceError`` with the fix,
after which ``write`` quietly does nothing: the game goes on as text.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import structlog

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.metrics import record_error

log = structlog.get_logger()

PORTAUDIO_HINT = ("Install PortAudio: `sudo apt-get install libportaudio2` (Debian/Ubuntu), "
                  "`brew install portaudio` (macOS). Playing on with text only.")
DEVICE_HINT = ("Check that a speaker or headphones are connected and not in use "
               "(`python -m sounddevice` lists devices). Playing on with text only.")


class PcmBuffer:
    """A FIFO of PCM bytes shared by the loop (``push``) and the audio thread (``read``)."""

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self._offset = 0  # bytes of _chunks[0] already read
        self._size = 0
        self._lock = threading.Lock()

    def push(self, data: bytes) -> None:
        if data:
            with self._lock:
                self._chunks.append(data)
                self._size += len(data)

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes from the front (fewer only when the buffer runs dry)."""
        parts: list[bytes] = []
        with self._lock:
            while count > 0 and self._chunks:
                head = self._chunks[0]
                take = head[self._offset:self._offset + count]
                parts.append(take)
                count -= len(take)
                self._size -= len(take)
                self._offset += len(take)
                if self._offset >= len(head):
                    self._chunks.popleft()
                    self._offset = 0
        return b"".join(parts)

    def clear(self) -> int:
        """Drop everything queued; returns how many bytes were dropped."""
        with self._lock:
            dropped = self._size
            self._chunks.clear()
            self._offset = self._size = 0
        return dropped

    def __len__(self) -> int:
        return self._size


class TerminalPlayback:
    """Plays PCM16 mono on the default (or given) output device; opened on the first ``write``.

    ``monitor``, if given, sees every block sent to the device (silence included), on the
    audio thread: keep it tiny (a level meter, a test recorder).
    """

    name = "sounddevice"

    def __init__(self, *, device: int | str | None = None, volume: float = 1.0,
                 muted: bool = False, block_ms: int = 20, latency: str | float = "low",
                 monitor: Callable[[bytes], None] | None = None, clock: Clock | None = None) -> None:
        self.device = device
        self.block_ms = block_ms
        self.latency = latency
        self.monitor = monitor
        self.failed: VoiceError | None = None
        self.sample_rate: int | None = None
        self._volume = 1.0
        self.volume = volume
        self.muted = muted
        self.buffer = PcmBuffer()
        self._stream: Any = None
        self._clock = clock or MonotonicClock()

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = min(2.0, max(0.0, float(value)))

    @property
    def pending_ms(self) -> float:
        """Audio queued and not yet handed to the device."""
        if not self.sample_rate:
            return 0.0
        return 1000.0 * len(self.buffer) / pcm.SAMPLE_WIDTH / self.sample_rate

    def write(self, data: bytes, sample_rate: int) -> None:
        """Queue audio; raises ``VoiceError`` once if playback cannot work, then ignores audio."""
        if self.failed is not None or not data:
            return
        if self._stream is None:
            self._open(sample_rate)
        assert self.sample_rate is not None
        self.buffer.push(pcm.resample(data, sample_rate, self.sample_rate))

    def stop(self) -> None:
        """Silence now: drop queued audio; the next block the device asks for is zeros."""
        self.buffer.clear()

    async def drained(self, poll_s: float = 0.02) -> None:
        """Wait until everything written has been handed to the device."""
        while len(self.buffer) and self._stream is not None and self.failed is None:
            await self._clock.sleep(poll_s)

    def close(self) -> None:
        """Stop and release the device."""
        self.buffer.clear()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()

    def callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's callback, on its thread: one block from ``buffer``, zeros when it runs dry."""
        wanted = frames * pcm.SAMPLE_WIDTH
        data = self.buffer.read(wanted)
        if data and (self.muted or self._volume != 1.0):
            data = pcm.scale(data, 0.0 if self.muted else self._volume)
        if len(data) < wanted:
            data += bytes(wanted - len(data))
        outdata[:] = data
        if self.monitor is not None:
            self.monitor(data)

    def _fail(self, error: VoiceError, kind: str) -> VoiceError:
        self.failed = error
        record_error(self.name, kind)
        log.warning("voice.playback_unavailable", kind=kind, reason=error.message)
        return error

    def _open(self, rate: int) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:  # the wheel is there, the PortAudio library is not
            raise self._fail(VoiceError("Audio playback is unavailable: the PortAudio library "
                                        "is missing.", PORTAUDIO_HINT), "portaudio") from exc
        try:
            info = sd.query_devices(self.device, kind="output")
        except (ValueError, sd.PortAudioError) as exc:
            raise self._fail(VoiceError("No audio output device was found.", DEVICE_HINT),
                             "no_device") from exc
        last: Exception | None = None
        for candidate in dict.fromkeys((rate, int(info["default_samplerate"]))):
            try:
                stream = sd.RawOutputStream(
                    samplerate=candidate, channels=1, dtype="int16", device=self.device,
                    blocksize=max(1, candidate * self.block_ms // 1000), latency=self.latency,
                    callback=self.callback)
                stream.start()
            except (sd.PortAudioError, ValueError) as exc:
                last = exc
                continue
            self._stream, self.sample_rate = stream, candidate
            log.debug("voice.playback_open", device=info.get("name"), rate=candidate)
            return
        raise self._fail(VoiceError(f"The audio device refused to play ({last}).", DEVICE_HINT),
                         "device_refused") from last


def probe(device: int | str | None = None) -> str | None:
    """None if playback should work, else the one notice to show (what is wrong and the fix)."""
    try:
        import sounddevice as sd
    except OSError:
        return f"No sound: the PortAudio library is missing. {PORTAUDIO_HINT}"
    try:
        sd.query_devices(device, kind="output")
    except (ValueError, sd.PortAudioError):
        return f"No sound: no audio output device was found. {DEVICE_HINT}"
    return None
