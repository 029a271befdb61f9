"""Voices: turning an actor's lines into PCM16 speech (ElevenLabs, Piper, Kokoro, silence).

Light re-exports only; providers (``elevenlabs``, ``piper``, ``kokoro``) and ``playback`` are
imported from their modules when needed, so importing the engine stays fast.
"""

from digital_actors.voice.base import SilentVoice, Voice, VoiceProfile, profile_from_cast
from digital_actors.voice.chunker import SentenceChunker, sentences
from digital_actors.voice.pipeline import AudioOut, AudioSink, VoicePipeline
from digital_actors.voice.tags import Segment, TagFilter, find_tags, prepare_for_voice, strip_tags

__all__ = [
    "AudioOut", "AudioSink", "Segment", "SentenceChunker", "SilentVoice", "TagFilter", "Voice",
    "VoicePipeline", "VoiceProfile", "find_tags", "prepare_for_voice", "profile_from_cast",
    "sentences", "strip_tags",
]
