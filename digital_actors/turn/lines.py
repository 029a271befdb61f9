"""Running one line: the actor's line stream becomes LineStarted / LineDelta / LineFinished,
its sentences go to the voice as they complete (AudioChunk / AudioFinished), and a Timing
event closes it. Cancellation (an interruption, an ending) cuts text and audio at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from digital_actors import events as ev
from digital_actors.clock import Clock
from digital_actors.errors import DigitalActorsError, VoiceError
from digital_actors.scene.model import Scene
from digital_actors.text import strip_tags
from digital_actors.turn.ports import Actor, Cue
from digital_actors.voice.base import Voice, VoiceProfile
from digital_actors.voice.chunker import SentenceChunker

if TYPE_CHECKING:
    from digital_actors.voice.line import LineSpeech


class LineRunner:
    """Runs cues as lines for one session: the actor performs, this turns the stream into events
    (``history`` is the session's transcript)."""

    def __init__(self, scene: Scene, actor: Actor, *, clock: Clock, emit: Callable[[ev.Event], None],
                 history: list[tuple[str, str]], log: Any, voice: Voice | None = None,
                 voice_profile: VoiceProfile | None = None) -> None:
        self.scene, self.actor, self.clock, self.emit = scene, actor, clock, emit
        self.history, self.log = history, log
        self.voice, self.voice_profile = voice, voice_profile
        self.voice_on = True
        self.cut_by_player = False  # set by the session just before it cancels a line
        self._voice_noticed = False

    async def run(self, cue: Cue, new_line_id: Callable[[], str],
                  text_done: Callable[[str], None] | None = None) -> str | None:
        """Run one line. Returns the displayed text (None when the actor had nothing to say).

        ``text_done`` is called with the text as soon as it is complete, before the line's
        audio has finished (suggestions and the next signals never wait for the voice)."""
        try:
            stream = self.actor.perform(cue)
        except DigitalActorsError as e:
            self.emit(ev.TurnFailed(e.message, e.hint))
            return None
        if stream is None:
            return None
        line_id, speaker = new_line_id(), self.scene.lead_id
        voiced = self.voice is not None and self.voice_on
        self.emit(ev.LineStarted(line_id, speaker, self.scene.lead.name, cue.kind, stream.source,
                                 voiced=voiced))
        started = self.clock.now()
        first: float | None = None
        sentence: float | None = None
        chunker = SentenceChunker()
        speech = self._speech(line_id)
        raw, shown = "", ""
        broke = False
        try:
            async for delta in stream:
                if first is None:
                    first = self.clock.now()
                raw += delta
                completed = speech.feed(delta) if speech is not None else bool(chunker.feed(delta))
                if sentence is None and completed:
                    sentence = self.clock.now()
                visible = visible_prefix(raw)
                if visible.startswith(shown) and len(visible) > len(shown):
                    self.emit(ev.LineDelta(line_id, visible[len(shown):]))
                    shown = visible
        except asyncio.CancelledError:
            self.emit(ev.LineFinished(line_id, speaker, strip_tags(raw), interrupted=True,
                                      by_player=self.cut_by_player))
            if raw.strip():
                self.history.append(("actor", strip_tags(raw) + " —"))
            if speech is not None:
                await speech.cancel()
            raise
        except DigitalActorsError as e:
            broke = True
            self.emit(ev.TurnFailed(e.message, e.hint))
        text = strip_tags(raw)
        self.emit(ev.LineFinished(line_id, speaker, text, failed=broke or stream.failed))
        if text:
            self.history.append(("actor", text))
        if text_done is not None:
            text_done(text)
        first_audio_ms = await self._finish_speech(speech, started)
        total = (self.clock.now() - started) * 1000
        first_ms = None if first is None else (first - started) * 1000
        sentence_ms = total if sentence is None and text else (
            None if sentence is None else (sentence - started) * 1000)
        if stream.notice:
            self.emit(ev.Notice(stream.notice, "warning", topic=stream.notice_topic))
        usage = stream.usage
        self.emit(ev.Timing(line_id, first_ms, sentence_ms, first_audio_ms, total,
                            input_tokens=usage.total_input if usage is not None else None,
                            output_tokens=usage.output_tokens if usage is not None else None))
        if cue.kind in ("reply", "control"):
            self.log.info("turn", event_type="dialogue_generated", cue=cue.kind,
                          response_time_ms=round(total, 1), llm_response_time_ms=first_ms,
                          performer=self.actor.name)
        return text

    def _speech(self, line_id: str) -> LineSpeech | None:
        """The line's voice, when there is one and it is switched on."""
        if self.voice is None or not self.voice_on:
            return None
        from digital_actors.voice.line import LineSpeech  # the audio stack loads only with a voice

        profile = self.voice_profile or VoiceProfile(character_id=self.scene.lead_id)
        speech = LineSpeech(self.voice, profile, line_id=line_id, emit=self.emit, clock=self.clock,
                            on_error=self._voice_failed)
        speech.start()
        return speech

    async def _finish_speech(self, speech: LineSpeech | None, started: float) -> float | None:
        """Wait for the line's audio (the text is already out); ms from line start to first audio."""
        if speech is None:
            return None
        try:
            await speech.finish()
        except asyncio.CancelledError:
            await speech.cancel()  # cut off while the audio was still coming: stop it, text stands
            raise
        return None if speech.first_chunk_at is None else (speech.first_chunk_at - started) * 1000

    def _voice_failed(self, error: VoiceError) -> None:
        self.log.warning("voice_failed", error=error.message)
        if not self._voice_noticed:
            self._voice_noticed = True
            self.emit(ev.Notice(f"{error.message} — text only from here" +
                                (f" ({error.hint})" if error.hint else ""), "warning", topic="voice_failed"))


def visible_prefix(raw: str) -> str:
    """Display text of a partial line: tags stripped, an unclosed '[' held back."""
    cut = raw.rfind("[")
    if cut != -1 and "]" not in raw[cut:] and len(raw) - cut <= 42:
        raw = raw[:cut]
    return strip_tags(raw)
