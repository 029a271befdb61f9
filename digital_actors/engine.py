"""The Engine: what every front end holds. Finds scenes and makes sessions with the right
performer, clock and player memory, so the TUI, the web server and the line player are wired alike.

    async with Engine.open(settings, memory=True) as engine:
        player = await engine.terminal_player("Ada")
        session = await engine.new_session(SessionRequest("pressure_point"), player_id=player.id)

With memory, each session's attempts are recorded (see memory/binding.py) and the player's
history shapes the cue, the difficulty and the understudy's greeting.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.config import Settings
from digital_actors.errors import MemoryStoreError, SceneError
from digital_actors.events import Notice
from digital_actors.llm.base import ChatModel
from digital_actors.llm.breaker import BreakerStatus
from digital_actors.memory.binding import MemoryBinding
from digital_actors.memory.records import PlayerRecord
from digital_actors.memory.store import MemoryStore, SqliteMemoryStore
from digital_actors.performers import Performer, choose_actor, prepare_performer, session_parts
from digital_actors.player import PlayerMemory
from digital_actors.scene.loader import SceneRef, discover, find_scene, scene_search_path
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.voice.base import Voice

log = structlog.get_logger()
MEMORY_TIMEOUT = 5.0  # seconds a memory read or write may take before the scene goes on without it
READING_PACE = 0.045  # seconds per word when the understudy streams authored lines: a natural reading speed
# Offered to a model when the voice performs tags (ElevenLabs with ELEVENLABS_PRESERVE_AUDIO_TAGS).
PERFORMABLE_TAGS = ("sighs", "laughs", "whispers", "gasps", "coughs", "clears throat", "pauses", "crying")
DEFAULT_PROFILE = "player"  # the terminal profile of someone who gave no name: never spoken
MEMORY_OFF = "Your progress will not be remembered this time (the memory store is unavailable)."


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """How to start a session; front ends fill in what their player chose."""

    scene: str
    seed: int | None = None
    speed: float = 1.0
    difficulty: str | None = None
    start_phase: int | None = None
    overrides: tuple[tuple[str, float], ...] = ()
    pace: float = READING_PACE
    suggestions: bool | None = None
    player_name: str | None = None  # the name the player gave in this front end (memory may know one)


class Engine:
    """Scenes, settings and the factory of sessions. One per process (per front end)."""

    def __init__(self, settings: Settings, *, extra_scenes: Sequence[Path] = (),
                 clock: Clock | None = None, store: MemoryStore | None = None,
                 model: ChatModel | None = None, record_dir: Path | None = None,
                 replay_dir: Path | None = None, audio_tags: tuple[str, ...] = (),
                 voice: Voice | None = None) -> None:
        self.settings = settings
        # The voice: chosen once per process on first use (see voice_for_sessions()).
        self.voice, self._voice_chosen, self._voice_owned = voice, voice is not None, False
        self.voice_notice: str | None = None
        self._voice_told = False
        # The model performer: chosen and verified once per process (see performer()).
        self._model, self.record_dir, self.replay_dir = model, record_dir, replay_dir
        self.audio_tags = audio_tags
        self._performer: Performer | None = None
        self._performer_lock = asyncio.Lock()
        self._performer_told = False
        self.extra_scenes = tuple(extra_scenes)
        self.clock = clock or MonotonicClock()
        self.store = store
        self.memory_error: MemoryStoreError | None = None
        self._bindings: dict[str, MemoryBinding] = {}
        self._owns_store = False

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings, *, memory: bool = False, **kwargs: object) -> AsyncIterator[Engine]:
        """An engine whose resources are released on exit. ``memory`` opens the player-memory
        store; if it cannot be opened the engine runs without memory and ``memory_error`` says why."""
        engine = cls(settings, **kwargs)  # type: ignore[arg-type]
        if memory and engine.store is None:
            await engine.open_memory()
        try:
            yield engine
        finally:
            await engine.aclose()

    async def open_memory(self) -> bool:
        """Open the store at DIGITAL_ACTORS_DB (or the default). False, with ``memory_error``, on failure."""
        try:
            self.store = await SqliteMemoryStore.connect(self.settings.digital_actors_db)
        except MemoryStoreError as e:
            self.memory_error = e
            return False
        self._owns_store = True
        return True

    async def close_memory(self) -> None:
        """Close the store if the engine opened it (an injected one belongs to its owner)."""
        if self.store is not None and self._owns_store:
            await self.store.close()  # type: ignore[attr-defined]
            self.store, self._owns_store = None, False

    async def performer(self) -> Performer:
        """Who performs: selected, checked with one tiny call and cached. A bad key costs one
        call per process and falls back to the understudy with ``performer_notice``; an
        unreachable provider keeps the model behind an open circuit breaker (``model_status``)
        on this engine's clock, so it heals when the provider does."""
        async with self._performer_lock:
            if self._performer is None:
                self._performer = await prepare_performer(
                    self.settings, model=self._model, record_dir=self.record_dir,
                    replay_dir=self.replay_dir, clock=self.clock)
                if self._performer.notice:
                    log.warning("performer_unusable", notice=self._performer.notice)
            return self._performer

    @property
    def performer_notice(self) -> str | None:
        """Why the configured model is not performing (bad key, unknown model), if so."""
        return self._performer.notice if self._performer is not None else None

    @property
    def model_status(self) -> BreakerStatus | None:
        """The shared model's circuit breaker now (None: no model, a replay, or not prepared yet).
        ``model_status.degraded`` is True while the understudy answers for an unreachable model."""
        performer = self._performer
        if performer is None or performer.breaker is None:
            return None
        return performer.breaker.status()

    def degraded_reasons(self) -> list[str]:
        """Sentences for operators (``/health``) while players get less than was configured."""
        status = self.model_status
        reason = status.reason() if status is not None else None
        return [reason] if reason else []

    def voice_for_sessions(self) -> Voice | None:
        """The shared voice (one client, connections kept warm), chosen from settings once."""
        if not self._voice_chosen:
            from digital_actors.voice.factory import choose_voice  # loads the audio stack on demand

            choice = choose_voice(self.settings)
            self.voice, self.voice_notice = choice.voice, choice.notice
            self._voice_chosen, self._voice_owned = True, choice.voice is not None
        return self.voice

    def _audio_tags(self) -> tuple[str, ...]:
        """The tags a model may write: given explicitly, or what a tag-performing voice can do."""
        if self.audio_tags:
            return self.audio_tags
        voice = self.voice_for_sessions()
        return PERFORMABLE_TAGS if voice is not None and voice.performs_tags else ()

    @property
    def voice_status(self) -> str:
        """Which voice speaks and why, for settings screens."""
        if not self.settings.voice:
            return "off (VOICE=false)"
        voice = self.voice_for_sessions()
        if voice is None:
            return self.voice_notice or "text only"
        return f"{voice.name} ({voice.model})"

    async def aclose(self) -> None:
        """Finish pending memory writes, then release the store and the model client."""
        if self._performer is not None and self._performer.model is not None:
            await self._performer.model.aclose()
            self._performer = None
        for binding in list(self._bindings.values()):
            with contextlib.suppress(Exception):
                await binding.wait()
        await self.close_memory()
        if self.voice is not None and self._voice_owned:
            await self.voice.aclose()
            self.voice, self._voice_chosen = None, False

    async def terminal_player(self, name: str | None) -> PlayerRecord | None:
        """A terminal profile by name, created on first use; with no name, the most recent one.

        A name the person typed (``--player Ada``, the first-run question) is also the name the
        characters use, until the player tells them another; the default profile has none."""
        if self.store is None:
            return None
        if not name:
            recent = [p for p in await self.store.list_players() if p.kind == "terminal"]
            if recent:
                return max(recent, key=lambda p: p.last_seen_at)
            return await self.store.player(DEFAULT_PROFILE, "terminal")
        record = await self.store.player(name, "terminal")
        if not record.given_name and record.name.lower() != DEFAULT_PROFILE:
            await self.store.set_given_name(record.id, record.name)
            record = replace(record, given_name=record.name)
        return record

    def search_path(self) -> list[tuple[Path, str]]:
        return scene_search_path(self.extra_scenes, self.settings.scene_dirs())

    def scenes(self) -> list[SceneRef]:
        """Every scene found (re-read from disk each call, so edits show up)."""
        return discover(self.search_path())

    def load(self, name: str) -> Scene:
        """A scene by id or path. Raises SceneError with every problem located."""
        return find_scene(name, self.search_path())

    async def new_session(self, request: SessionRequest | str, *, memory: PlayerMemory | None = None,
                          scene: Scene | None = None, player_id: str | None = None) -> Session:
        """A ready (not yet started) session: subscribe with ``events()``, then ``start()``.

        With a ``player_id`` and a memory store, the player's history is loaded (and reloaded
        on every restart) and each attempt is recorded."""
        if isinstance(request, str):
            request = SessionRequest(scene=request)
        scene = scene or self.load(request.scene)
        if request.start_phase is not None and request.start_phase not in {p.id for p in scene.phases}:
            raise SceneError(f"{scene.id} has no phase {request.start_phase}",
                             hint="phases: " + ", ".join(str(p.id) for p in scene.phases))
        for name, _ in request.overrides:
            if name not in scene.state:
                raise SceneError(f"{scene.id} has no state variable '{name}'",
                                 hint="known: " + ", ".join(scene.state))
        seed = request.seed if request.seed is not None else random.randrange(1 << 30)
        store = self.store if player_id else None
        notices: list[Notice] = []
        if memory is None and store is not None and player_id:
            try:
                async with asyncio.timeout(MEMORY_TIMEOUT):
                    memory = await store.snapshot(player_id, scene.id, scene.lead_id)
            except (MemoryStoreError, TimeoutError) as e:
                log.error("memory_unavailable", event_type="memory_read", error=getattr(e, "message", "timeout"))
                notices.append(Notice(MEMORY_OFF, "warning", topic="memory"))
                store = None
        memory = memory or PlayerMemory()
        performer = await self.performer()
        if performer.notice and not self._performer_told:
            self._performer_told = True  # once per process; SceneStarted.performer says it always
            notices.append(Notice(performer.notice, "warning", topic="performer"))
        actor = choose_actor(scene, self.settings, seed=seed, clock=self.clock, pace=request.pace,
                             performer=performer, audio_tags=self._audio_tags())
        signals, director = session_parts(scene, self.settings, actor)
        suggestions = self.settings.suggestions if request.suggestions is None else request.suggestions
        options = SessionOptions(seed=seed, speed=request.speed,
                                 difficulty=request.difficulty,
                                 start_phase=request.start_phase, overrides=request.overrides,
                                 suggestions=suggestions)
        voice = self.voice_for_sessions()
        if self.voice_notice and not self._voice_told:
            self._voice_told = True  # said once per process, not at every scene
            notices.append(Notice(self.voice_notice, "info", topic="voice"))
        profile = None
        if voice is not None:
            from digital_actors.voice.factory import profile_for

            profile = profile_for(self.settings, scene.lead_id, scene.lead.voice)
        session = Session(scene, actor=actor, clock=self.clock, memory=memory, options=options,
                          signals=signals, director=director, voice=voice, voice_profile=profile)
        session.start_notices.extend(notices)
        if request.player_name:
            session.player_name = request.player_name
        if store is not None and player_id:
            lead = scene.lead_id

            async def reload() -> PlayerMemory:
                return await store.snapshot(player_id, scene.id, lead)

            session.memory_source = reload
            binding = MemoryBinding(store, session.events(), player_id=player_id, scene_id=scene.id,
                                    character_id=lead, clock=self.clock, timeout=MEMORY_TIMEOUT)
            binding.start()
            self._bindings[session.id] = binding
            assert binding.task is not None
            binding.task.add_done_callback(lambda _t: self._bindings.pop(session.id, None))
        return session

    async def recorded(self, session: Session) -> None:
        """Wait until a closed session's last attempt is written to memory (no-op without memory)."""
        binding = self._bindings.get(session.id)
        if binding is not None:
            await binding.wait()
