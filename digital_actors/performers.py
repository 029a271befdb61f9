"""Choosing who performs a scene: the understudy offline; model actors where configured."""

from __future__ import annotations

from digital_actors.actors.understudy import Understudy
from digital_actors.clock import Clock
from digital_actors.config import Settings
from digital_actors.scene.model import Scene


def choose_actor(scene: Scene, settings: Settings, *, seed: int, clock: Clock, pace: float) -> Understudy:
    """The actor for a session, with a reason the player is told at the start."""
    keys = [name for name, value in (("ANTHROPIC_API_KEY", settings.anthropic_api_key),
                                     ("OPENAI_API_KEY", settings.openai_api_key),
                                     ("GOOGLE_API_KEY", settings.google_api_key)) if value]
    if settings.llm_provider == "understudy":
        reason = "LLM_PROVIDER=understudy"
    elif keys:
        reason = f"{keys[0]} is set, but this build has no model performer yet: authored lines only"
    else:
        reason = "no model configured: set ANTHROPIC_API_KEY to let the actor improvise"
    return Understudy(scene, seed=seed, clock=clock, pace=pace, reason=reason)
