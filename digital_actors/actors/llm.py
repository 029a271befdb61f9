"""The LLM actor: improvised lines streamed from a ChatModel, cleaned as they arrive.

Retries and timeouts live in the provider layer; when a call finally fails (or says nothing
usable, or the provider's circuit breaker refuses it at once) the understudy's authored line
for the same cue is performed instead, so the scene never freezes. The player is told once
when the model stops answering and once when it is back. Cancelling the consuming task
closes the HTTP stream at once (``aclosing``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

import structlog

from digital_actors.actors.understudy import ScriptedLine, Understudy
from digital_actors.clock import Clock
from digital_actors.errors import ModelError
from digital_actors.llm.base import ChatModel, ChatRequest, StreamEnd, Usage
from digital_actors.llm.cleanup import LineCleaner, name_tokens
from digital_actors.llm.errors import ProviderError
from digital_actors.llm.metrics import count_error
from digital_actors.llm.prompts import PromptOptions, build_line_request
from digital_actors.llm.suggest import Suggester
from digital_actors.llm.tally import TalliedChatModel
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import Continuity, Cue

log = structlog.get_logger()

PROVIDER_LABELS = {"anthropic": "Claude", "openai": "OpenAI", "gemini": "Gemini",
                   "local": "a local model", "replay": "a recorded model", "scripted": "a scripted model"}
ENDS_LINE = frozenset(".!?…—-\"”)]")


def usable(said: str) -> bool:
    """Whether a cleaned line has any words in it ("..." or "—" alone is not a line)."""
    return any(c.isalnum() for c in said)


def actor_label(provider: str, model: str) -> str:
    """What the player reads: ``Claude (claude-haiku-4-5)``."""
    return f"{PROVIDER_LABELS.get(provider, provider)} ({model})"


class ModelLineStream:
    """The line stream of one model line; the understudy's line for the cue if the model fails."""

    def __init__(self, actor: LLMActor, cue: Cue, request: ChatRequest) -> None:
        self.cue, self.request = cue, request
        self.source = f"{actor.model.provider}: {actor.model.model}"
        self.usage: Usage | None = None
        self.error: ModelError | None = None
        self.notice: str | None = None
        self.notice_topic = "model"  # "model_back" when this line shows the model answering again
        self.fell_back = False
        self._actor = actor

    @property
    def failed(self) -> bool:
        """The model failed this line: the player saw the script's stand-in or a line cut short."""
        return self.fell_back or self.error is not None

    async def __aiter__(self) -> AsyncIterator[str]:
        actor = self._actor
        cleaner = LineCleaner(names=actor.names, max_words=actor.scene.max_words)
        said = ""
        try:
            async with aclosing(actor.model.stream(self.request)) as items:
                async for item in items:
                    if isinstance(item, StreamEnd):
                        self.usage = item.usage
                        break
                    text = cleaner.feed(item.text)
                    if text:
                        said += text
                        yield text
                    if cleaner.done:
                        break  # the line is complete; closing the stream stops the model
        except ModelError as e:
            self.error = e
        except Exception as e:  # a bug below us must cost a line, never the scene: stand in
            log.error("llm_line_crashed", error=type(e).__name__, exc_info=e)
            self.error = ModelError("the model's line could not be read", "see the log")
        rest = cleaner.flush()
        if rest:
            said += rest
            yield rest
        if self.error is not None and said and said.rstrip()[-1] not in ENDS_LINE:
            yield "—"  # cut off mid-sentence by the provider: end the line audibly, not silently
        self.notice = actor.outcome(self, said)
        if not usable(said):
            self.fell_back = True
            line = actor.understudy.perform(self.cue)
            if line is not None:
                async for word in line:
                    yield word


class LLMActor:
    """Performs cues with a model; the authored opening and every fallback come from the script."""

    def __init__(self, scene: Scene, model: ChatModel, *, reason: str, seed: int = 0,
                 clock: Clock | None = None, pace: float = 0.0, audio_tags: Sequence[str] = (),
                 options: PromptOptions | None = None, improvise_opening: bool = False,
                 suggest_timeout: float = 6.0, owns_model: bool = False) -> None:
        self.scene = scene
        self.model = model if isinstance(model, TalliedChatModel) else TalliedChatModel(
            model, owns=owns_model)
        self.tally = self.model.tally
        self.suggestions_later = self.suggest_later  # declared capability: suggestions in the background
        self.name = actor_label(model.provider, model.model)
        self.reason = reason
        self.audio_tags = tuple(audio_tags)
        self.options = options or PromptOptions()
        self.improvise_opening = improvise_opening
        self.names = name_tokens(scene.lead.name, scene.lead_id)
        self.understudy = Understudy(scene, seed=seed, clock=clock, pace=pace, reason=reason)
        self.suggester = Suggester(self.model, scene, timeout=suggest_timeout)
        self.last_request: ChatRequest | None = None
        self.lines = 0
        self.failures = 0
        self._failing = False

    def perform(self, cue: Cue) -> ModelLineStream | ScriptedLine | None:
        """A streamed model line, or the authored opening (instant, and the writer's hook)."""
        if cue.kind == "opening" and not self.improvise_opening:
            line = self.understudy.perform(cue)
            if line is not None:
                return line
        request = build_line_request(self.scene, cue, audio_tags=self.audio_tags,
                                     options=self.options)
        self.last_request = request
        return ModelLineStream(self, cue, request)

    @property
    def last_prompt(self) -> str | None:
        """The last line request as the model read it: system blocks, then the turns."""
        request = self.last_request
        if request is None:
            return None
        turns = "\n\n".join(f"[{m.role}]\n{m.content}" for m in request.messages)
        return f"[system]\n{request.system_text()}\n\n{turns}"

    def outcome(self, stream: ModelLineStream, said: str) -> str | None:
        """Count a finished line; a notice for the player when the model starts failing."""
        self.lines += 1
        error = stream.error
        if error is None and usable(said):
            if self._failing:
                self._failing = False
                stream.notice_topic = "model_back"
                return f"{self.name} is answering again."
            return None
        self.failures += 1
        if error is None:
            kind = "empty"
            count_error("llm_empty_line")
        else:
            kind = error.kind if isinstance(error, ProviderError) else "unexpected"
        # While the circuit breaker is open every line lands here at once; the breaker has
        # already logged the outage, so these are routine.
        emit = log.info if kind == "circuit_open" else log.warning
        emit("llm_line_failed", kind=kind, after_text=usable(said), cue=stream.cue.kind,
             detail=error.detail if isinstance(error, ProviderError) else None)
        if usable(said) or self._failing:
            return None
        self._failing = True
        # A fixed sentence: what the provider said (which can quote the key) goes to the log only.
        return f"{self.name} is not answering; the script's lines stand in until it recovers."

    def suggest(self, cue: Cue, line: str) -> list[str]:
        """Instant suggestions from the script (the session prefers ``suggestions_later``)."""
        return self.understudy.suggest(cue, line)

    async def suggest_later(self, cue: Cue, line: str) -> list[str]:
        """Three model-written replies, or the script's when the model is slow or fails."""
        return await self.suggester.suggest(cue, line, fallback=lambda: self.understudy.suggest(cue, line))

    @property
    def continuity(self) -> Continuity:
        """The script's lines it stood in with (the model's own lines are in the session's history)."""
        return self.understudy

    def reset(self) -> None:
        self.understudy.reset()
        self.tally.reset()
        self._failing = False

    async def aclose(self) -> None:
        await self.model.aclose()
