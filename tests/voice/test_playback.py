"""Terminal playback: the shared buffer, the audio callback, and real PortAudio output.

The real-device tests need PortAudio and an output device; on a headless Linux box use the
ALSA null device: ``apt-get install libportaudio2`` and ``printf 'pcm.!default { type null }\\n'
> ~/.asoundrc``.
"""

from __future__ import annotations

import asyncio
import builtins
import threading
from typing import Any

import pytest

from digital_actors.errors import VoiceError
from digital_actors.voice import pcm, playback
from digital_actors.voice.playback import PcmBuffer, TerminalPlayback

NO_DEVICE = playback.probe()
needs_device = pytest.mark.skipif(
    NO_DEVICE is not None,
    reason=f"{NO_DEVICE} To run it headless: apt-get install libportaudio2 and configure the "
           "ALSA null device: printf 'pcm.!default { type null }\\n' > ~/.asoundrc",
)


def level(value: int, samples: int) -> bytes:
    return value.to_bytes(2, "little", signed=True) * samples


def run_callback(player: TerminalPlayback, frames: int) -> bytes:
    out = bytearray(frames * 2)
    player.callback(out, frames, None, None)
    return bytes(out)


def test_buffer_reads_across_chunk_boundaries_without_gaps() -> None:
    buffer = PcmBuffer()
    for i in range(5):
        buffer.push(bytes([i]) * 7)
    got = b"".join(buffer.read(4) for _ in range(9))
    assert got == b"".join(bytes([i]) * 7 for i in range(5))
    assert len(buffer) == 0 and buffer.read(10) == b""


def test_callback_pads_with_silence_and_stop_drops_everything() -> None:
    player = TerminalPlayback()
    player.buffer.push(level(1000, 300))
    assert run_callback(player, 200) == level(1000, 200)
    assert run_callback(player, 200) == level(1000, 100) + bytes(200)  # underrun -> zeros
    player.buffer.push(level(1000, 10_000))
    player.stop()
    assert len(player.buffer) == 0
    assert run_callback(player, 200) == bytes(400)


def test_volume_and_mute_scale_safely() -> None:
    player = TerminalPlayback(volume=0.5)
    player.buffer.push(level(1000, 10) + level(-30_000, 10))
    assert run_callback(player, 20) == level(500, 10) + level(-15_000, 10)
    player.volume = 5.0  # clamped to 2.0, and samples saturate instead of wrapping
    assert player.volume == 2.0
    player.buffer.push(level(30_000, 4) + level(-30_000, 4))
    assert run_callback(player, 8) == level(32_767, 4) + level(-32_768, 4)
    player.muted = True
    player.buffer.push(level(1000, 4))
    assert run_callback(player, 4) == bytes(8) and len(player.buffer) == 0  # time moves on


def test_missing_portaudio_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    player = TerminalPlayback()
    with pytest.raises(VoiceError) as caught:
        player.write(level(1, 10), 24_000)
    assert caught.value.hint is not None and "apt-get install libportaudio2" in caught.value.hint
    player.write(level(1, 10), 24_000)  # afterwards: silently text-only, never a crash
    assert player.failed is caught.value
    notice = playback.probe()
    assert notice is not None and "libportaudio2" in notice


def test_no_output_device_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice as sd

    def none(*args: Any, **kwargs: Any) -> Any:
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", none)
    with pytest.raises(VoiceError) as caught:
        TerminalPlayback().write(level(1, 10), 24_000)
    assert caught.value.hint is not None and "python -m sounddevice" in caught.value.hint
    assert "no audio output device" in (playback.probe() or "")


def test_a_refused_rate_falls_back_to_the_device_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice as sd

    opened: list[int] = []

    class Stream:
        def __init__(self, *, samplerate: int, **kwargs: Any) -> None:
            if samplerate != 48_000:
                raise sd.PortAudioError("Invalid sample rate")
            opened.append(samplerate)

        def start(self) -> None: ...
        def stop(self) -> None: ...
        def close(self) -> None: ...

    monkeypatch.setattr(sd, "query_devices", lambda *a, **k: {"name": "x", "default_samplerate": 48_000.0})
    monkeypatch.setattr(sd, "RawOutputStream", Stream)
    player = TerminalPlayback()
    player.write(level(1000, 2400), 24_000)
    assert opened == [48_000] and player.sample_rate == 48_000
    assert len(player.buffer) == 4800 * 2  # resampled to twice as many samples
    assert player.pending_ms == pytest.approx(100.0)
    player.close()


@needs_device
async def test_real_device_plays_chunks_back_to_back() -> None:
    chunks = [level(1000 + i, 2000 if i == 0 else 240 + 37 * i) for i in range(6)]
    expected = b"".join(chunks)
    recorded: list[bytes] = []
    first_block, release, enough = threading.Event(), threading.Event(), threading.Event()
    limit = len(expected) + 20_000

    def record(block: bytes) -> None:  # on the audio thread; from the first audible block
        if enough.is_set() or not (recorded or pcm.peak(block)):
            return
        recorded.append(block)
        if len(recorded) == 1:
            first_block.set()
            release.wait(5)  # the null device never waits: hold it while the rest is queued
        if sum(map(len, recorded)) >= limit:
            enough.set()

    player = TerminalPlayback(monitor=record)
    try:
        player.write(chunks[0], 24_000)
        assert player.sample_rate == 24_000
        assert await asyncio.to_thread(first_block.wait, 5)
        for chunk in chunks[1:]:
            player.write(chunk, 24_000)
        release.set()
        await asyncio.wait_for(player.drained(), 5)
        assert await asyncio.to_thread(enough.wait, 5)
    finally:
        release.set()
        player.close()
    audio = b"".join(recorded)
    assert audio.startswith(expected)  # every chunk, in order, with no silence in between
    assert pcm.peak(audio[len(expected):len(expected) + 4000]) == 0


@needs_device
async def test_real_device_stop_silences_queued_audio() -> None:
    got_audio, release, enough = threading.Event(), threading.Event(), threading.Event()
    after_stop: list[bytes] = []

    def monitor(block: bytes) -> None:  # on the audio thread
        if release.is_set():
            if len(after_stop) < 50:
                after_stop.append(block)
            else:
                enough.set()
        elif pcm.peak(block):
            got_audio.set()
            release.wait(5)  # hold the audio thread still while the test stops playback

    player = TerminalPlayback(monitor=monitor)
    try:
        player.write(level(1000, 24_000 * 10), 24_000)  # ten seconds queued
        assert await asyncio.to_thread(got_audio.wait, 5)
        player.stop()
        assert len(player.buffer) == 0 and player.pending_ms == 0
        release.set()
        assert await asyncio.to_thread(enough.wait, 5)
    finally:
        release.set()
        player.close()
    assert len(after_stop) == 50 and all(pcm.peak(block) == 0 for block in after_stop)
