"""Voices: turning an actor's lines into PCM16 speech (ElevenLabs, Piper, Kokoro, silence)."""
