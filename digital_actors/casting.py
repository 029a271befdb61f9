"""Casting: choosing who performs a scene, a model actor where one is configured and works, else the understudy.

``prepare_casting`` runs once per process (the Engine caches it): it selects the provider,
checks the key with one tiny call, puts the model behind the process's circuit breaker, and
wraps it for recording or replay. A permanent failure of the check (bad key, unknown model)
chooses the understudy for good; an outage (connection refused, timeout, 5xx, overloaded)
keeps the model with its breaker open, so the understudy answers only until a probe succeeds.
Each session then gets its own actor, judge and director around that shared model
(``choose_actor``, ``session_parts``), so every per-player count and cache stays in its session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from digital_actors.actors.llm import LLMActor, actor_label
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import Clock
from digital_actors.config import Settings
from digital_actors.llm.base import ChatModel
from digital_actors.llm.breaker import BreakerChatModel, BreakerPolicy, CircuitBreaker
from digital_actors.llm.director import LLMDirector
from digital_actors.llm.judge import LLMJudge
from digital_actors.llm.record import RecordingChatModel, ReplayChatModel
from digital_actors.llm.select import UNDERSTUDY, select_model, verify
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import Actor, Director
from digital_actors.turn.signals import SignalEvaluator
from digital_actors.understanding import decisive_signals

NO_MODEL = "no model configured: set ANTHROPIC_API_KEY to let the actor improvise"
log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Casting:
    """The process-wide choice: a ready model (None: the understudy), why, a one-off notice,
    and the model's circuit breaker (None for the understudy and for replays)."""

    model: ChatModel | None
    provider: str
    reason: str
    notice: str | None = None
    breaker: CircuitBreaker | None = None


def breaker_policy(settings: Settings) -> BreakerPolicy:
    """LLM_BREAKER_* settings as a policy."""
    return BreakerPolicy(failure_threshold=settings.llm_breaker_failure_threshold,
                         cooldown=settings.llm_breaker_cooldown_seconds,
                         max_cooldown=settings.llm_breaker_max_cooldown_seconds)


def _why(reason: str) -> str:
    """``Claude (x) performs: ANTHROPIC_API_KEY is set`` -> ``ANTHROPIC_API_KEY is set``."""
    return reason.split(" performs: ", 1)[-1]


def understudy_reason(settings: Settings) -> str:
    """Why the understudy performs when no model was selected."""
    if settings.llm_provider == UNDERSTUDY:
        return "LLM_PROVIDER=understudy"
    selection = select_model(settings) if settings.llm_provider != "auto" else None
    return selection.reason if selection is not None and selection.model is None else NO_MODEL


async def prepare_casting(settings: Settings, *, model: ChatModel | None = None,
                          record_dir: Path | str | None = None,
                          replay_dir: Path | str | None = None,
                          verify_seconds: float = 8.0, clock: Clock | None = None) -> Casting:
    """Select, verify, guard with a circuit breaker (on ``clock``) and wrap the model.

    A bad key or unknown model -> the understudy and one clear notice; an unreachable, silent
    or overloaded provider -> the model with its breaker open (the understudy answers until a
    probe after the cooldown succeeds). ``model`` injects one (tests, embedding); it is trusted,
    not verified, but guarded all the same. ``replay_dir`` plays a recording back with no
    network (no breaker: nothing to protect); ``record_dir`` records every exchange.
    """
    if replay_dir is not None:
        replay = ReplayChatModel(replay_dir)
        return Casting(replay, "replay", f"replaying the model exchanges recorded in {replay_dir}")
    if model is None:
        if settings.llm_provider == UNDERSTUDY:
            return Casting(None, UNDERSTUDY, "LLM_PROVIDER=understudy")
        selection = select_model(settings)
        if selection.model is None:
            reason = NO_MODEL if settings.llm_provider == "auto" else selection.reason
            notice = ("--record has nothing to record: no model is configured"
                      if record_dir is not None else None)
            return Casting(None, UNDERSTUDY, reason, notice)
        problem = await verify(selection.model, seconds=verify_seconds)
        if problem is not None and not problem.transient:
            name = actor_label(selection.provider, selection.model.model)
            await selection.model.aclose()
            return Casting(None, UNDERSTUDY, f"{name} did not accept the first call: "
                                             "authored lines only", problem.message)
        guarded = BreakerChatModel(selection.model, policy=breaker_policy(settings), clock=clock)
        if problem is not None:
            # The players hear it from the actor on their first line (once each, and once more
            # when the model is back); operators see it in the log, /health and the metrics.
            log.warning("model_unreachable_at_start", provider=selection.provider,
                        kind=problem.kind, problem=problem.message)
            guarded.breaker.trip(problem.message)
        reason = _why(selection.reason)
    else:
        guarded = BreakerChatModel(model, policy=breaker_policy(settings), clock=clock)
        reason = "a model was supplied by the host program"
    model_used: ChatModel = guarded
    if record_dir is not None:  # inside the recording: refusals replay as they happened
        model_used = RecordingChatModel(guarded, record_dir)
        reason += f"; recording every exchange to {record_dir}"
    return Casting(model_used, guarded.provider, reason, breaker=guarded.breaker)


def choose_actor(scene: Scene, settings: Settings, *, seed: int, clock: Clock, pace: float,
                 casting: Casting | None = None, audio_tags: tuple[str, ...] = (),
                 **actor_options: Any) -> Actor:
    """The actor for one session, with a reason the player is told at the start.

    Without ``casting`` the model is selected here, unverified, and owned by the actor.
    """
    model, reason, owns = None, "", False
    if casting is not None:
        model, reason = casting.model, casting.reason
    elif settings.llm_provider != UNDERSTUDY:
        selection = select_model(settings)
        if selection.model is not None:
            model, reason, owns = selection.model, _why(selection.reason), True
    if model is None:
        why = reason or understudy_reason(settings)
        return Understudy(scene, seed=seed, clock=clock, pace=pace, reason=why)
    return LLMActor(scene, model, reason=reason, seed=seed, clock=clock, pace=pace,
                    audio_tags=audio_tags, owns_model=owns, **actor_options)


def session_parts(scene: Scene, settings: Settings, actor: Actor, *,
                  judge_timeout: float = 4.0) -> tuple[SignalEvaluator, Director | None]:
    """A session's signal evaluator (with an LLM judge for a model actor) and LLM director."""
    if not isinstance(actor, LLMActor):
        return SignalEvaluator(), None
    signals = SignalEvaluator(judge=LLMJudge(actor.model, scene), decisive=decisive_signals(scene),
                              timeout=judge_timeout)
    director = None
    if settings.director_llm:
        director = LLMDirector(actor.model, scene, cooldown=settings.director_llm_cooldown_seconds)
    return signals, director


__all__ = ["Casting", "actor_label", "breaker_policy", "choose_actor", "prepare_casting", "session_parts"]
