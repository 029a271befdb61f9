"""ElevenLabsVoice: the real SDK against a local fake server speaking ElevenLabs' wire format."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY

from digital_actors.config import Settings
from digital_actors.errors import VoiceError
from digital_actors.voice.base import VoiceProfile
from digital_actors.voice.elevenlabs import ElevenLabsVoice, _ConnectTimeout
from tests.voice.conftest import RecordingClock
from tests.voice.fake_elevenlabs import API_KEY, FakeElevenLabs, Reply, tone

PROFILE = VoiceProfile("engineer", voice_id="pNInz6obpgDQGcFmaJgB", stability=0.4, similarity=0.8,
                       style=0.2, speed=1.1)


@pytest.fixture
async def voice(fake_elevenlabs: FakeElevenLabs, clock: RecordingClock) -> AsyncIterator[ElevenLabsVoice]:
    v = ElevenLabsVoice(api_key=API_KEY, base_url=fake_elevenlabs.base_url, clock=clock,
                        first_byte_timeout=0.2, max_retries=2)
    yield v
    await v.aclose()


async def collect(voice: ElevenLabsVoice, text: str, profile: VoiceProfile = PROFILE) -> list[bytes]:
    return [chunk async for chunk in voice.synthesize(text, profile)]


def errors(kind: str) -> float:
    return REGISTRY.get_sample_value("digital_actors_tts_errors_total",
                                     {"provider": "elevenlabs", "type": kind}) or 0.0


async def test_streams_pcm_with_the_profile_settings(voice: ElevenLabsVoice,
                                                     fake_elevenlabs: FakeElevenLabs) -> None:
    latency_before = REGISTRY.get_sample_value("digital_actors_tts_latency_seconds_count",
                                               {"provider": "elevenlabs"}) or 0.0
    fake_elevenlabs.queue(Reply(chunk_bytes=1001))  # odd chunks: the voice must re-align samples
    chunks = await collect(voice, "The hatch is sealed.")
    assert len(chunks) > 3
    assert all(len(c) % 2 == 0 for c in chunks)
    assert b"".join(chunks) == tone("The hatch is sealed.", 24_000)
    request = fake_elevenlabs.requests[-1]
    assert request.voice_id == "pNInz6obpgDQGcFmaJgB"
    assert request.query["output_format"] == "pcm_24000"
    assert request.api_key == API_KEY
    assert request.body["model_id"] == "eleven_flash_v2_5"
    assert request.body["voice_settings"] == {"stability": 0.4, "similarity_boost": 0.8,
                                              "style": 0.2, "speed": 1.1, "use_speaker_boost": True}
    assert REGISTRY.get_sample_value("digital_actors_tts_latency_seconds_count",
                                     {"provider": "elevenlabs"}) == latency_before + 1


async def test_tags_go_to_the_tag_model_only_when_allowed(voice: ElevenLabsVoice,
                                                          fake_elevenlabs: FakeElevenLabs) -> None:
    await collect(voice, "[sighs] Fine.")
    body = fake_elevenlabs.requests[-1].body
    assert (body["model_id"], body["text"]) == ("eleven_v3", "[sighs] Fine.")
    assert body["voice_settings"]["stability"] == 0.5  # v3 takes 0.0, 0.5 or 1.0 only
    await collect(voice, "No tags here.")
    assert fake_elevenlabs.requests[-1].body["model_id"] == "eleven_flash_v2_5"

    plain = ElevenLabsVoice(api_key=API_KEY, base_url=fake_elevenlabs.base_url, preserve_tags=False)
    try:
        assert not plain.performs_tags
        await collect(plain, "[sighs] Fine.")
    finally:
        await plain.aclose()
    body = fake_elevenlabs.requests[-1].body
    assert (body["model_id"], body["text"]) == ("eleven_flash_v2_5", "Fine.")


async def test_bad_key_fails_at_once_with_a_hint(fake_elevenlabs: FakeElevenLabs) -> None:
    before = errors("auth")
    voice = ElevenLabsVoice(api_key="wrong", base_url=fake_elevenlabs.base_url)
    try:
        with pytest.raises(VoiceError) as caught:
            await collect(voice, "Hello.")
    finally:
        await voice.aclose()
    assert not caught.value.retryable
    assert "401" in caught.value.message and "Invalid API key" in caught.value.message
    assert caught.value.hint is not None and "ELEVENLABS_API_KEY" in caught.value.hint
    assert len(fake_elevenlabs.requests) == 1
    assert errors("auth") == before + 1


async def test_429_is_retried_after_retry_after(voice: ElevenLabsVoice, clock: RecordingClock,
                                                fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(Reply(status=429, headers={"Retry-After": "2"},
                                body={"detail": {"status": "too_many_concurrent_requests",
                                                 "message": "Too many"}}))
    chunks = await collect(voice, "Hello.")
    assert b"".join(chunks) == tone("Hello.", 24_000)
    assert len(fake_elevenlabs.requests) == 2
    assert len(clock.sleeps) == 1 and 2.0 <= clock.sleeps[0] <= 2.2


async def test_5xx_backs_off_with_jitter_then_succeeds(voice: ElevenLabsVoice, clock: RecordingClock,
                                                       fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(Reply(status=500), Reply(status=503))
    assert await collect(voice, "Hello.")
    assert len(fake_elevenlabs.requests) == 3
    first, second = clock.sleeps
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


async def test_5xx_gives_up_after_max_retries(voice: ElevenLabsVoice,
                                              fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(*[Reply(status=500)] * 3)
    with pytest.raises(VoiceError) as caught:
        await collect(voice, "Hello.")
    assert caught.value.retryable and "500" in caught.value.message
    assert len(fake_elevenlabs.requests) == 3


async def test_long_retry_after_is_not_waited_for(voice: ElevenLabsVoice, clock: RecordingClock,
                                                  fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(Reply(status=429, headers={"Retry-After": "60"}))
    with pytest.raises(VoiceError) as caught:
        await collect(voice, "Hello.")
    assert caught.value.retryable and caught.value.retry_after == 60.0
    assert clock.sleeps == []


async def test_unknown_voice_is_not_retried(voice: ElevenLabsVoice,
                                            fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(Reply(status=404, body={"detail": {"status": "voice_not_found",
                                                             "message": "Voice not found"}}))
    with pytest.raises(VoiceError) as caught:
        await collect(voice, "Hello.")
    assert not caught.value.retryable
    assert caught.value.hint is not None and "ELEVENLABS_VOICE_" in caught.value.hint


async def test_slow_first_byte_times_out_then_retries(voice: ElevenLabsVoice, clock: RecordingClock,
                                                      fake_elevenlabs: FakeElevenLabs) -> None:
    before = errors("timeout")
    fake_elevenlabs.queue(Reply(hang=True))
    chunks = await collect(voice, "Hello.")
    assert b"".join(chunks) == tone("Hello.", 24_000)
    assert len(fake_elevenlabs.requests) == 2 and len(clock.sleeps) == 1
    assert errors("timeout") == before + 1


async def test_slow_first_byte_without_retries_fails_retryable(fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(Reply(hang=True))
    voice = ElevenLabsVoice(api_key=API_KEY, base_url=fake_elevenlabs.base_url,
                            first_byte_timeout=0.1, max_retries=0)
    try:
        with pytest.raises(VoiceError) as caught:
            await collect(voice, "Hello.")
    finally:
        await voice.aclose()
    assert caught.value.retryable and "in time" in caught.value.message


async def test_mid_stream_disconnect_is_not_retried(voice: ElevenLabsVoice, clock: RecordingClock,
                                                    fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.queue(Reply(disconnect_after=4800 * 2 + 1))
    received: list[bytes] = []
    with pytest.raises(VoiceError) as caught:
        async for chunk in voice.synthesize("A long enough sentence to stream.", PROFILE):
            received.append(chunk)
    assert caught.value.retryable and "broke off" in caught.value.message
    assert 0 < sum(map(len, received)) <= 4800 * 2 + 1
    assert len(fake_elevenlabs.requests) == 1 and clock.sleeps == []


async def test_connection_is_reused_and_can_be_warmed(voice: ElevenLabsVoice,
                                                      fake_elevenlabs: FakeElevenLabs) -> None:
    await voice.warm()
    await collect(voice, "One.")
    await collect(voice, "Two.")
    ports = {r.client_port for r in fake_elevenlabs.requests}
    assert ports == set(fake_elevenlabs.warm_ports) and len(ports) == 1


async def test_stopping_early_closes_the_stream(voice: ElevenLabsVoice,
                                                fake_elevenlabs: FakeElevenLabs) -> None:
    stream = voice.synthesize("A sentence long enough for several chunks.", PROFILE)
    first = await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert first
    assert await collect(voice, "Still works.")


def test_from_settings_reads_the_voice_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(VoiceError, match="No ElevenLabs API key"):
        ElevenLabsVoice.from_settings(Settings())
    settings = Settings(elevenlabs_api_key="k", elevenlabs_model="eleven_turbo_v2_5",
                        elevenlabs_preserve_audio_tags=False, elevenlabs_base_url="http://127.0.0.1:9")
    voice = ElevenLabsVoice.from_settings(settings, sample_rate=16_000)
    assert (voice.model, voice.performs_tags, voice.sample_rate) == ("eleven_turbo_v2_5", False, 16_000)
    with pytest.raises(ValueError):
        ElevenLabsVoice(api_key="k", sample_rate=44_100)


async def test_connect_timeout_is_applied_to_every_request() -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=_ConnectTimeout(httpx.MockTransport(handler), 1.5)) as client:
        await client.get("http://example.invalid/", timeout=30.0)
    assert seen[0]["connect"] == 1.5 and seen[0]["read"] == 30.0
