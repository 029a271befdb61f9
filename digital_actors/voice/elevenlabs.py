"""ElevenLabs voices over the official SDK (``AsyncElevenLabs``): streamed raw PCM, no decoding.

One SDK client and one pooled httpx client per voice object, so TLS connections stay warm
between sentences. Tags go to a tag-performing model (eleven_v3) only when a sentence has tags
and ``preserve_tags`` is on; everything else uses the configured low-latency model. Retries
(429, 5xx, timeouts, network) happen only before the first chunk: after audio has started,
replaying it would repeat words.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import structlog
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import VoiceSettings

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.config import Settings
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import SentenceRef, VoiceProfile, closing
from digital_actors.voice.metrics import TTS_LATENCY, record_error
from digital_actors.voice.retry import backoff_delay, parse_retry_after
from digital_actors.voice.tags import find_tags, strip_tags

log = structlog.get_logger()

DEFAULT_MODEL = "eleven_flash_v2_5"  # ~75 ms model latency: the lowest ElevenLabs offers
TAG_MODEL = "eleven_v3"  # performs [sighs], [whispers] ...
DEFAULT_VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"  # a premade voice, used when a cast entry names none
SAMPLE_RATES = (16_000, 22_050, 24_000)  # pcm_* formats every plan may stream
KEY_HINT = ("Check ELEVENLABS_API_KEY (a key from elevenlabs.io, Profile > API keys), "
            "or unset it to play with the local voice.")


class _ConnectTimeout(httpx.AsyncBaseTransport):
    """Applies a short connect timeout; the SDK sets one float for every phase of a request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, connect: float) -> None:
        self._inner = inner
        self._connect = connect

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = dict(request.extensions.get("timeout", {}))
        current = timeouts.get("connect")
        timeouts["connect"] = self._connect if current is None else min(current, self._connect)
        request.extensions["timeout"] = timeouts
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class ElevenLabsVoice:
    """Streams PCM16 from ElevenLabs text-to-speech (``/v1/text-to-speech/{voice}/stream``)."""

    name = "elevenlabs"
    pool = None  # network synthesis: no local CPU pool

    def __init__(self, *, api_key: str, model: str = DEFAULT_MODEL, tag_model: str = TAG_MODEL,
                 base_url: str | None = None, preserve_tags: bool = True,
                 sample_rate: int = 24_000, timeout: float = 15.0, connect_timeout: float = 3.0,
                 first_byte_timeout: float = 5.0, max_retries: int = 2,
                 backoff_base: float = 0.5, backoff_cap: float = 4.0, max_retry_after: float = 8.0,
                 default_voice_id: str = DEFAULT_VOICE_ID, clock: Clock | None = None,
                 rng: random.Random | None = None) -> None:
        if sample_rate not in SAMPLE_RATES:
            raise ValueError(f"sample_rate must be one of {SAMPLE_RATES}")
        self.model = model
        self.tag_model = tag_model
        self.performs_tags = preserve_tags
        self.sample_rate = sample_rate
        self.first_byte_timeout = first_byte_timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.default_voice_id = default_voice_id
        self._clock = clock or MonotonicClock()
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            transport=_ConnectTimeout(httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=8, max_keepalive_connections=4,
                                    keepalive_expiry=120.0)), connect_timeout),
            timeout=timeout, follow_redirects=True,
        )
        self._client = AsyncElevenLabs(api_key=api_key, base_url=base_url, timeout=timeout,
                                       httpx_client=self._http)
        self._base_url = (base_url or "https://api.elevenlabs.io").rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ElevenLabsVoice:
        """The voice ``Settings`` describe (ELEVENLABS_API_KEY, _MODEL, _PRESERVE_AUDIO_TAGS ...)."""
        if settings.elevenlabs_api_key is None:
            raise VoiceError("No ElevenLabs API key is set.", KEY_HINT)
        options: dict[str, Any] = {
            "api_key": settings.elevenlabs_api_key.get_secret_value(),
            "model": settings.elevenlabs_model,
            "base_url": settings.elevenlabs_base_url,
            "preserve_tags": settings.elevenlabs_preserve_audio_tags,
        }
        return cls(**{**options, **overrides})

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def warm(self) -> None:
        """Open a connection ahead of the first line (DNS + TCP + TLS), so it starts faster."""
        try:
            await self._http.head(self._base_url + "/", timeout=5.0)
        except httpx.HTTPError as exc:
            log.debug("voice.warm_failed", provider=self.name, error=type(exc).__name__)

    def _request(self, text: str) -> tuple[str, str]:
        """The text to send and the model to send it to."""
        if find_tags(text):
            if self.performs_tags:
                return text, self.tag_model
            return strip_tags(text), self.model
        return text, self.model

    def _settings(self, profile: VoiceProfile, model: str) -> VoiceSettings:
        stability = profile.stability
        if model.startswith("eleven_v3"):  # v3 accepts only 0.0 (creative), 0.5, 1.0 (robust)
            stability = min((0.0, 0.5, 1.0), key=lambda v: abs(v - stability))
        return VoiceSettings(stability=stability, similarity_boost=profile.similarity,
                             style=profile.style, speed=min(1.2, max(0.7, profile.speed)),
                             use_speaker_boost=True)

    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        text, model = self._request(text)
        if not text.strip():
            return
        voice_id = profile.voice_id or self.default_voice_id
        started = self._clock.now()
        attempt = 0
        while True:
            stream = self._client.text_to_speech.stream(
                voice_id, text=text, model_id=model, output_format=f"pcm_{self.sample_rate}",
                voice_settings=self._settings(profile, model),
                request_options={"max_retries": 0, "chunk_size": pcm.chunk_bytes(self.sample_rate, 50)},
            )
            try:
                async with asyncio.timeout(self.first_byte_timeout):
                    first = await anext(stream, b"")
            except BaseException as exc:
                await stream.aclose()
                if not isinstance(exc, Exception):
                    raise  # cancelled: the connection is closed, nothing to retry
                error, kind = self._map(exc, voice_id)
                delay = self._retry_delay(error, attempt)
                log.warning("voice.request_failed", provider=self.name, kind=kind, attempt=attempt,
                            retry_in=delay, model=model)
                record_error(self.name, kind)
                if delay is None:
                    raise error from exc
                attempt += 1
                await self._clock.sleep(delay)
                continue
            break
        TTS_LATENCY.labels(provider=self.name).observe(self._clock.now() - started)
        async with closing(self._rest(stream, first, voice_id)) as rest:
            async for chunk in rest:
                yield chunk

    async def _rest(self, stream: AsyncIterator[bytes], first: bytes,
                    voice_id: str) -> AsyncIterator[bytes]:
        """The first chunk and the rest, each a whole number of samples."""
        carry = b""
        try:
            pending: bytes | None = first
            while pending is not None:
                data = carry + pending
                cut = len(data) - len(data) % pcm.SAMPLE_WIDTH
                carry = data[cut:]
                if cut:
                    yield data[:cut]
                pending = await anext(stream, None)
        except (httpx.HTTPError, ApiError, TimeoutError) as exc:
            kind = self._map(exc, voice_id)[1]
            record_error(self.name, kind)
            log.warning("voice.stream_broken", provider=self.name, kind=kind)
            raise VoiceError("The ElevenLabs audio stream broke off mid-sentence.",
                             "The rest of the line is shown as text; the next line retries.",
                             retryable=True) from exc
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    def _retry_delay(self, error: VoiceError, attempt: int) -> float | None:
        if not error.retryable or attempt >= self.max_retries:
            return None
        if error.retry_after is not None and error.retry_after > self.max_retry_after:
            return None
        return backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_cap,
                             retry_after=error.retry_after, rng=self._rng)

    def _map(self, exc: BaseException, voice_id: str) -> tuple[VoiceError, str]:
        """An SDK/transport failure as a VoiceError with a hint, and a short kind for metrics."""
        if isinstance(exc, ApiError):
            return _api_error(exc, voice_id)
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            return VoiceError("ElevenLabs did not start sending audio in time.",
                              "The network or ElevenLabs is slow; the line is shown as text.",
                              retryable=True), "timeout"
        if isinstance(exc, httpx.HTTPError):
            return VoiceError(f"Could not reach ElevenLabs ({type(exc).__name__}).",
                              "Check the network connection (or ELEVENLABS_BASE_URL).",
                              retryable=True), "network"
        return VoiceError(f"ElevenLabs failed unexpectedly ({type(exc).__name__}).",
                          "See the log for details.", retryable=False), "unexpected"


def _detail(body: Any) -> tuple[str, str]:
    """``(status, message)`` out of ElevenLabs' ``{"detail": {"status", "message"}}`` bodies."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        return str(detail.get("status") or ""), str(detail.get("message") or "")
    if isinstance(detail, str):
        return "", detail
    return "", ""


def _api_error(exc: ApiError, voice_id: str) -> tuple[VoiceError, str]:
    status = exc.status_code or 0
    code, message = _detail(exc.body)
    said = f": {message}" if message else ""
    if code == "quota_exceeded":
        return VoiceError(f"ElevenLabs quota exceeded{said}",
                          "Add credits to the ElevenLabs account, or unset ELEVENLABS_API_KEY "
                          "to use the local voice.", retryable=False), "quota"
    if status in (401, 403):
        return VoiceError(f"ElevenLabs refused the API key ({status}){said}", KEY_HINT,
                          retryable=False), "auth"
    if status == 404:
        return VoiceError(f"ElevenLabs has no voice {voice_id!r}{said}",
                          "Fix the voice id in the scene's cast entry or ELEVENLABS_VOICE_<CHARACTER_ID>.",
                          retryable=False), "not_found"
    if status == 429:
        return VoiceError(f"ElevenLabs is rate-limiting requests{said}",
                          "Too many requests at once for this plan; retrying shortly.",
                          retryable=True, retry_after=parse_retry_after(exc.headers)), "rate_limit"
    if status >= 500:
        return VoiceError(f"ElevenLabs had a server error ({status}){said}",
                          "A temporary problem at ElevenLabs; retrying shortly.", retryable=True,
                          retry_after=parse_retry_after(exc.headers)), "server"
    return VoiceError(f"ElevenLabs rejected the request ({status}){said}",
                      "Check ELEVENLABS_MODEL and the voice settings in the scene.",
                      retryable=False), "bad_request"
