"""The Engine: what every front end holds. Finds scenes and makes sessions with the right
actor, clock and the player's recollection, so the TUI, the web server and the line player are wired alike.

    async with Engine.open(settings, open_memory=True) as engine:
        player = await engine.terminal_player("Ada")
        session = await engine.new_session(SessionRequest("pressure_point"), player_id=player.id)

With memory, each session's attempts are recorded (see memory/binding.py) and the player's
history shapes the cue, the difficulty and the understudy's greeting. Every write goes through the
engine's outbox (memory/outbox.py): kept and retried while the database refuses it, spooled at
shutdown, replayed at the next start; players hear once when saving stops and once when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from digital_actors.casting import Casting, choose_actor, prepare_casting, session_parts
from digital_actors.clock import Clock, MonotonicClock
from digital_actors.config import Settings
from digital_actors.errors import MemoryStoreError, SceneError
from digital_actors.events import Notice
from digital_actors.llm.base import ChatModel
from digital_actors.llm.breaker import BreakerStatus
from digital_actors.memory import spool, writes
from digital_actors.memory.binding import NOT_SAVED, MemoryBinding
from digital_actors.memory.observer import AttemptState
from digital_actors.memory.outbox import BUSY_TIMEOUT_MS, Outbox
from digital_actors.memory.records import PlayerRecord, iso, utc_now
from digital_actors.memory.store import MemoryStore, default_name
from digital_actors.memory.stores import PoolOptions, connect_store
from digital_actors.player import Recollection
from digital_actors.scene.loader import SceneRef, discover, find_scene, scene_search_path
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.turn.snapshot import SessionSnapshot
from digital_actors.voice.base import Voice

log = structlog.get_logger()
MEMORY_TIMEOUT = 5.0  # seconds a memory read may take before the scene goes on without it (writes never wait)
READING_PACE = 0.045  # seconds per word when the understudy streams authored lines: a natural reading speed
# Offered to a model when the voice performs tags (ElevenLabs with ELEVENLABS_PRESERVE_AUDIO_TAGS).
PERFORMABLE_TAGS = ("sighs", "laughs", "whispers", "gasps", "coughs", "clears throat", "pauses", "crying")
DEFAULT_PROFILE = "player"  # the terminal profile of someone who gave no name: never spoken
MEMORY_UNREAD = ("The characters cannot recall you this time (the memory store did not answer); "
                 "what happens now is still saved.")
HOUSEKEEPING_EVERY = 86400.0  # seconds between two sweeps of stale in-progress attempts while serving


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
                 voice: Voice | None = None, wall_clock: Callable[[], datetime] = utc_now,
                 write_busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.settings = settings
        # The voice: chosen once per process on first use (see voice_for_sessions()).
        self.voice, self._voice_chosen, self._voice_owned = voice, voice is not None, False
        self.voice_notice: str | None = None
        self._voice_told = False
        # The casting (the model, or the understudy): chosen and verified once per process (see casting()).
        self._model, self.record_dir, self.replay_dir = model, record_dir, replay_dir
        self.audio_tags = audio_tags
        self._casting: Casting | None = None
        self._casting_lock = asyncio.Lock()
        self._casting_told = False
        self.extra_scenes = tuple(extra_scenes)
        self.clock = clock or MonotonicClock()
        self.wall_clock = wall_clock
        self._write_busy_ms = write_busy_timeout_ms  # how long one write try waits for another program's lock
        self.outbox: Outbox | None = None
        self._store: MemoryStore | None = None
        self.store = store
        self.memory_error: MemoryStoreError | None = None
        self._bindings: dict[str, MemoryBinding] = {}
        self._owns_store = False
        self._upkeep: asyncio.Task[None] | None = None

    @property
    def store(self) -> MemoryStore | None:
        """The player-memory store (None: memory is off). Setting one gives it an outbox."""
        return self._store

    @store.setter
    def store(self, store: MemoryStore | None) -> None:
        self._store = store
        self.outbox = None
        if store is not None:
            self.outbox = Outbox(store, clock=self.clock, spool_file=spool.spool_path(store.path),
                                 busy_timeout_ms=self._write_busy_ms,
                                 retry_max=self.settings.memory_retry_max_seconds)
            self.outbox.on_change(self._memory_saving_changed)

    def _memory_saving_changed(self, failing: bool) -> None:
        """Writes began failing, or everything kept has landed: each recorded session hears it once."""
        for binding in list(self._bindings.values()):
            binding.tell(failing)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings, *, open_memory: bool = False,
                   **kwargs: object) -> AsyncIterator[Engine]:
        """An engine whose resources are released on exit. ``open_memory`` opens the player-memory
        store; if it cannot be opened the engine runs without memory and ``memory_error`` says why."""
        engine = cls(settings, **kwargs)  # type: ignore[arg-type]
        if open_memory and engine.store is None:
            await engine.open_memory()
        try:
            yield engine
        finally:
            await engine.aclose()

    async def open_memory(self) -> bool:
        """Open the store at DIGITAL_ACTORS_DB, else DATABASE_URL, else the default file: SQLite, or
        PostgreSQL for a postgresql:// URL (pooled as MEMORY_DB_* say). False, with ``memory_error``, on failure.

        Writes the last run spooled are replayed first; stale in-progress attempts are abandoned now
        and every day while the engine lives."""
        try:
            store = await connect_store(self.settings.memory_database(), wall_clock=self.wall_clock,
                                        pool=PoolOptions.from_settings(self.settings))
        except MemoryStoreError as e:
            self.memory_error = e
            return False
        self.store, self._owns_store = store, True
        assert self.outbox is not None
        self.outbox.replay()
        self.housekeep()
        self._upkeep = asyncio.ensure_future(self._daily_housekeeping())
        return True

    def housekeep(self) -> None:
        """Queue the sweep that marks attempts in progress for longer than MEMORY_ABANDON_AFTER_HOURS abandoned."""
        if self.outbox is None or self.store is None:
            return
        age = timedelta(hours=self.settings.memory_abandon_after_hours)
        self.outbox.submit(writes.AbandonStale(before=iso(self.store.now() - age)))

    async def _daily_housekeeping(self) -> None:
        while True:
            await self.clock.sleep(HOUSEKEEPING_EVERY)
            self.housekeep()

    async def close_memory(self) -> None:
        """Land or spool what is pending, then close the store if the engine opened it (an injected
        one belongs to its owner)."""
        if self._upkeep is not None:
            self._upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._upkeep
            self._upkeep = None
        if self.outbox is not None:
            await self.outbox.aclose()
        if self.store is not None and self._owns_store:
            await self.store.close()
            self.store, self._owns_store = None, False

    async def check_memory_writes(self, within: float = 1.0) -> None:
        """For /health: can a write land now? The answer shows in ``degraded_reasons()``."""
        if self.outbox is not None:
            await self.outbox.check(within)

    async def casting(self) -> Casting:
        """Who performs: selected, checked with one tiny call and cached. A bad key costs one
        call per process and falls back to the understudy with ``casting_notice``; an
        unreachable provider keeps the model behind an open circuit breaker (``model_status``)
        on this engine's clock, so it heals when the provider does."""
        async with self._casting_lock:
            if self._casting is None:
                self._casting = await prepare_casting(
                    self.settings, model=self._model, record_dir=self.record_dir,
                    replay_dir=self.replay_dir, clock=self.clock)
                if self._casting.notice:
                    log.warning("performer_unusable", notice=self._casting.notice)
            return self._casting

    @property
    def casting_notice(self) -> str | None:
        """Why the configured model is not performing (bad key, unknown model), if so."""
        return self._casting.notice if self._casting is not None else None

    @property
    def model_status(self) -> BreakerStatus | None:
        """The shared model's circuit breaker now (None: no model, a replay, or not prepared yet).
        ``model_status.degraded`` is True while the understudy answers for an unreachable model."""
        casting = self._casting
        if casting is None or casting.breaker is None:
            return None
        return casting.breaker.status()

    def degraded_reasons(self) -> list[str]:
        """Sentences for operators (``/health``) while players get less than was configured: the model's
        breaker is open, memory writes are failing (kept for retry), or the last write probe failed."""
        status = self.model_status
        reasons = [status.reason() if status is not None else None]
        if self.outbox is not None:
            reasons += [self.outbox.status().reason(), self.outbox.probe_problem]
        return [r for r in reasons if r]

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
        if voice.pool is not None:
            return f"{voice.name} ({voice.model}, {voice.pool.workers} CPU workers)"
        return f"{voice.name} ({voice.model})"

    async def aclose(self) -> None:
        """Finish pending memory writes, then release the store and the model client."""
        if self._casting is not None and self._casting.model is not None:
            await self._casting.model.aclose()
            self._casting = None
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
        characters use, until the player tells them another; the default profile has none.
        When the profile cannot be written (a read-only file, a full disk, a lock) it is found
        by reading, or made with a new id whose row the outbox writes once it can: play goes on."""
        if self.store is None:
            return None
        try:
            async with asyncio.timeout(MEMORY_TIMEOUT):
                return await self._terminal_player(self.store, name)
        except (MemoryStoreError, TimeoutError) as e:
            log.error("memory_unavailable", event_type="memory_write", error=getattr(e, "message", "timeout"))
            return await self._terminal_player_offline(name)

    async def _terminal_player(self, store: MemoryStore, name: str | None) -> PlayerRecord:
        if not name:
            recent = [p for p in await store.list_players() if p.kind == "terminal"]
            if recent:
                return max(recent, key=lambda p: p.last_seen_at)
            return await store.player(DEFAULT_PROFILE, "terminal")
        record = await store.player(name, "terminal")
        if not record.given_name and record.name.lower() != DEFAULT_PROFILE:
            await store.set_given_name(record.id, record.name)
            record = replace(record, given_name=record.name)
        return record

    async def _terminal_player_offline(self, name: str | None) -> PlayerRecord | None:
        store, outbox = self.store, self.outbox
        assert store is not None and outbox is not None
        wanted = name or DEFAULT_PROFILE
        with contextlib.suppress(MemoryStoreError, TimeoutError):
            async with asyncio.timeout(MEMORY_TIMEOUT):
                found = (await store.find_player(wanted, "terminal") if name else
                         max((p for p in await store.list_players() if p.kind == "terminal"),
                             key=lambda p: p.last_seen_at, default=None))
                if found is not None:
                    return found
        now = outbox.now()
        record = PlayerRecord(str(uuid.uuid4()), wanted, "terminal", now, now,
                              given_name=name if name and name.lower() != DEFAULT_PROFILE else "")
        outbox.submit(writes.EnsurePlayer(record.id, record.name, "terminal", now))
        if record.given_name:
            outbox.submit(writes.SetGivenName(record.id, record.given_name))
        return record

    async def web_player_row(self, player_id: str, given_name: str = "") -> bool:
        """Make sure a web player's row exists before their scene is recorded; False when the id
        belongs to a profile of another kind (that scene plays without memory).

        The row (and a name given before the first scene) goes through the outbox: written at once
        when the store takes it, kept and written later when it cannot (a lock, a full disk, a
        read-only file), always before the attempts queued after it: never an id that fails them all."""
        store, outbox = self.store, self.outbox
        if store is None or outbox is None:
            return False
        record: PlayerRecord | None = None
        try:
            async with asyncio.timeout(MEMORY_TIMEOUT):
                record = await store.get_player(player_id)
        except (MemoryStoreError, TimeoutError) as e:  # cannot tell now: keep the id, write its row later
            log.error("player_row_deferred", event_type="memory_unavailable",
                      error=getattr(e, "message", None) or type(e).__name__)
        if record is not None and record.kind != "web":
            return False
        receipts = []
        if record is None:
            receipts.append(outbox.submit(writes.EnsurePlayer(player_id, default_name("web", player_id), "web",
                                                              outbox.now())))
        if given_name and (record is None or record.given_name != given_name):
            receipts.append(outbox.submit(writes.SetGivenName(player_id, given_name)))  # named before playing
        await asyncio.gather(*receipts)  # tried once: landed, or kept (at most one short lock wait)
        return True

    def remember_name(self, player_id: str, name: str) -> None:
        """Keep the name a player gave (outside a scene: the web's name field); it lands when it can."""
        if self.outbox is not None:
            self.outbox.submit(writes.SetGivenName(player_id, name))

    def search_path(self) -> list[tuple[Path, str]]:
        return scene_search_path(self.extra_scenes, self.settings.scene_dirs())

    def scenes(self) -> list[SceneRef]:
        """Every scene found (re-read from disk each call, so edits show up)."""
        return discover(self.search_path())

    def load(self, name: str) -> Scene:
        """A scene by id or path. Raises SceneError with every problem located."""
        return find_scene(name, self.search_path())

    async def new_session(self, request: SessionRequest | str, *, recollection: Recollection | None = None,
                          scene: Scene | None = None, player_id: str | None = None,
                          resume: SessionSnapshot | None = None, attempt: AttemptState | None = None) -> Session:
        """A ready (not yet started) session: subscribe with ``events()``, then ``start()``.

        With a ``player_id`` and a memory store, the player's history is loaded (and reloaded
        on every restart) and each attempt is recorded. ``resume`` continues a playthrough
        another process began (``start()`` then goes on with it), and ``attempt`` the attempt it
        was recording: the same attempt goes on, so it is recorded once."""
        if isinstance(request, str):
            request = SessionRequest(scene=request)
        if resume is not None:  # the snapshot's seed (the same understudy decks) and what it knew of the player
            request = replace(request, seed=resume.options.seed)
            recollection = resume.recollection
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
        outbox = self.outbox if player_id else None
        notices: list[Notice] = []
        if recollection is None and store is not None and player_id:
            try:
                async with asyncio.timeout(MEMORY_TIMEOUT):
                    recollection = await store.recollection(player_id, scene.id, scene.lead_id)
            except (MemoryStoreError, TimeoutError) as e:  # a stranger's start, but the scene is still recorded
                log.error("memory_unavailable", event_type="memory_read", error=getattr(e, "message", "timeout"))
                notices.append(Notice(MEMORY_UNREAD, "warning", topic="memory"))
        recollection = recollection or Recollection()
        casting = await self.casting()
        if casting.notice and not self._casting_told:
            self._casting_told = True  # once per process; SceneStarted.performer says it always
            notices.append(Notice(casting.notice, "warning", topic="performer"))
        actor = choose_actor(scene, self.settings, seed=seed, clock=self.clock, pace=request.pace,
                             casting=casting, audio_tags=self._audio_tags())
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
        session = Session(scene, actor=actor, clock=self.clock, recollection=recollection, options=options,
                          signals=signals, director=director, voice=voice, voice_profile=profile)
        if request.player_name:
            session.player_name = request.player_name
        if resume is not None:
            session.restore(resume)
        if store is not None and outbox is not None and player_id:
            lead = scene.lead_id

            async def reload() -> Recollection:
                async with asyncio.timeout(MEMORY_TIMEOUT):
                    return await store.recollection(player_id, scene.id, lead)

            session.recollection_source = reload
            binding = MemoryBinding(outbox, session.events(), player_id=player_id, scene_id=scene.id,
                                    character_id=lead, clock=self.clock, notify=session.notify,
                                    resume=attempt if resume is not None else None)
            if outbox.status().failing:  # saving is down already: this player hears it at the start
                binding.told_not_saved = True
                notices.append(Notice(NOT_SAVED, "warning", topic="saving"))
            binding.start()
            self._bindings[session.id] = binding
            assert binding.task is not None
            binding.task.add_done_callback(lambda _t: self._bindings.pop(session.id, None))
        session.start_notices.extend(notices)
        return session

    def attempt_state(self, session: Session) -> AttemptState | None:
        """The attempt ``session`` is recording, as plain values (None without memory)."""
        binding = self._bindings.get(session.id)
        return binding.state() if binding is not None else None

    def hand_off(self, session: Session) -> None:
        """``session`` goes on in another process: closing it here records nothing for its attempt."""
        binding = self._bindings.get(session.id)
        if binding is not None:
            binding.hand_off()

    async def recorded(self, session: Session) -> None:
        """Wait until a closed session's last attempt is written to memory (no-op without memory)."""
        binding = self._bindings.get(session.id)
        if binding is not None:
            await binding.wait()
