"""`.env.example` documents every setting (so README, docs and the example stay true)."""

from __future__ import annotations

from pathlib import Path

from digital_actors.config import Settings

ROOT = Path(__file__).parents[2]


def test_every_setting_is_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing = [name.upper() for name in Settings.model_fields
               if name != "elevenlabs_voices" and f"{name.upper()}=" not in text]
    assert not missing, f"add these to .env.example: {missing}"
    assert "ELEVENLABS_VOICE_ENGINEER=" in text and "DIGITAL_ACTORS_HOME=" in text


def test_every_setting_has_a_description() -> None:
    assert all(field.description for field in Settings.model_fields.values())
