"""Voice inside a session: sentences spoken while the line streams, audio in order, cut on interrupt."""

from __future__ import annotations

from pathlib import Path

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.scene.loader import load_scene
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.voice.base import SilentVoice, VoiceProfile
from tests.engine.conftest import write_scene
from tests.engine.test_session import SCRIPTED, finish

TEXT = SCRIPTED.replace('opening = ["Hello there."]',
                       'opening = ["[sighs] Hello there. Second sentence here.", "A third."]')


def make(tmp_path: Path, voice: SilentVoice, pace: float = 0.0) -> tuple[Session, FakeClock]:
    scene = load_scene(write_scene(tmp_path / "t", TEXT))
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock, pace=pace), clock=clock,
                      options=SessionOptions(suggestions=False), voice=voice,
                      voice_profile=VoiceProfile(character_id="bob"))
    return session, clock


async def test_sentences_are_spoken_and_audio_arrives_in_order(tmp_path: Path) -> None:
    voice = SilentVoice(sample_rate=16_000)
    session, _ = make(tmp_path, voice)
    sub = session.events()
    await session.start()
    await session.settle()
    got = sub.drain()
    assert voice.spoken == ["Hello there.", "Second sentence here.", "A third."]  # tags dropped: it cannot perform them
    chunks = [e for e in got if isinstance(e, ev.AudioChunk)]
    assert chunks and [c.seq for c in chunks] == list(range(len(chunks)))
    assert all(c.sample_rate == 16_000 and len(c.pcm) % 2 == 0 for c in chunks)
    line = next(e for e in got if isinstance(e, ev.LineFinished))
    assert line.text == "Hello there. Second sentence here. A third."  # the tag is not displayed
    done = [e for e in got if isinstance(e, ev.AudioFinished)]
    assert done == [ev.AudioFinished(line.line_id, len(chunks))]
    timing = next(e for e in got if isinstance(e, ev.Timing))
    assert timing.first_audio_ms is not None
    await session.close()


async def test_an_interruption_stops_the_audio(tmp_path: Path) -> None:
    voice = SilentVoice()
    session, clock = make(tmp_path, voice, pace=0.5)
    sub = session.events()
    await session.start()
    await clock.advance(2)  # a sentence or so spoken
    await session.say("who are you")
    await finish(session, clock)
    got = sub.drain()
    first = next(e for e in got if isinstance(e, ev.LineStarted))
    cut = [e for e in got if isinstance(e, ev.AudioFinished) and e.line_id == first.line_id]
    assert cut and cut[0].interrupted
    after = got[got.index(cut[0]):]
    assert not any(isinstance(e, ev.AudioChunk) and e.line_id == first.line_id for e in after)
    assert "A third." not in voice.spoken
    await session.close()


async def test_voice_can_be_switched_off(tmp_path: Path) -> None:
    voice = SilentVoice()
    session, _ = make(tmp_path, voice)
    session.voice_on = False
    sub = session.events()
    await session.start()
    await session.settle()
    assert voice.spoken == [] and not any(isinstance(e, ev.AudioChunk) for e in sub.drain())
    await session.close()


def test_a_half_streamed_tag_is_never_shown() -> None:
    """Regression: "[whisp" escaped to the screen while its closing bracket was still on the way."""
    from digital_actors.turn.lines import visible_prefix

    assert visible_prefix("Hold on. [whisp").rstrip() == "Hold on."
    assert visible_prefix("Hold on. [whispers] quiet") == "Hold on. quiet"
    assert visible_prefix("Hold on. [").rstrip() == "Hold on."
    long_bracket = "Note [" + "x" * 60  # not a tag: a long run without "]" is shown
    assert visible_prefix(long_bracket).startswith("Note [")


async def test_each_sentence_says_when_it_starts_to_be_heard(tmp_path: Path) -> None:
    """A page that plays the voice reveals a sentence's text with its audio: each sentence's
    SpeechStarted comes before its first chunk and carries its text as displayed."""
    voice = SilentVoice(sample_rate=16_000)
    session, _ = make(tmp_path, voice)
    sub = session.events()
    await session.start()
    await session.settle()
    got = sub.drain()
    started = next(e for e in got if isinstance(e, ev.LineStarted))
    assert started.voiced
    order = [e for e in got if isinstance(e, ev.SpeechStarted | ev.AudioChunk)]
    speech = [e for e in order if isinstance(e, ev.SpeechStarted)]
    assert [(s.sentence, s.text) for s in speech] == [(0, "Hello there."), (1, "Second sentence here."),
                                                      (2, "A third.")]
    assert isinstance(order[0], ev.SpeechStarted)  # the first sentence is announced before any audio
    for s in speech[1:]:  # and every later one before its own audio, after the previous one's
        i = order.index(s)
        assert isinstance(order[i + 1], ev.AudioChunk) and isinstance(order[i - 1], ev.AudioChunk)
    await session.close()


async def test_a_line_without_a_voice_is_not_voiced(tmp_path: Path) -> None:
    voice = SilentVoice()
    session, _ = make(tmp_path, voice)
    session.voice_on = False  # the player switched the voice off
    sub = session.events()
    await session.start()
    await session.settle()
    got = sub.drain()
    assert not next(e for e in got if isinstance(e, ev.LineStarted)).voiced
    assert not [e for e in got if isinstance(e, ev.SpeechStarted | ev.AudioChunk)] and voice.spoken == []
    await session.close()
