"""A Session: one player playing one scene. The orchestrator of DESIGN §4.

Inputs: ``say``, ``press``, ``interrupt``, ``pause``/``resume``, ``restart``, ``close``.
Output: ``events()`` subscriptions (queue-backed, because the clock and the director
speak unprompted). The world's rules live in ``World``; this class adds time, the actor,
the line queue and events. Everything that belongs to the player lives on the instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

import structlog

from digital_actors import events as ev
from digital_actors.actors.base import Actor, Cue, CueKind
from digital_actors.bus import EventBus, Subscription
from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import DigitalActorsError
from digital_actors.lines import LinePerformer
from digital_actors.llm.director import DirectorView, LLMDirector
from digital_actors.logging import short_hash
from digital_actors.memory.snapshot import PlayerMemory
from digital_actors.scene.model import Ending, Scene
from digital_actors.signals import SignalEvaluator
from digital_actors.voice.base import Voice, VoiceProfile
from digital_actors.world import Outcome, World

log = structlog.get_logger()

# Line priorities: an ending beats the opening, which beats a reaction to the player, which
# beats story beats (phase entries), which beat background lines (director hints, idle nudges).
ENDING, OPENING, PLAYER, STORY, BACKGROUND = 30, 25, 20, 15, 10
_PRIORITY: dict[CueKind, int] = {"ending": ENDING, "opening": OPENING, "reply": PLAYER,
                                 "control": PLAYER, "phase": STORY, "hint": BACKGROUND,
                                 "nudge": BACKGROUND}


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How a session runs. ``speed`` multiplies the scene clock (writers testing timing)."""

    seed: int = 0
    speed: float = 1.0
    difficulty: str | None = None  # None: from the player's memory (normal for a new player)
    start_phase: int | None = None
    overrides: tuple[tuple[str, float], ...] = ()
    suggestions: bool = True
    tick: float = 1.0


@dataclass(slots=True)
class _Queued:
    priority: int
    order: int
    cue: Cue


class Session:
    """Plays one scene for one player. Create, subscribe with ``events()``, then ``start()``."""

    def __init__(self, scene: Scene, *, actor: Actor, clock: Clock | None = None,
                 memory: PlayerMemory | None = None, options: SessionOptions | None = None,
                 signals: SignalEvaluator | None = None,
                 director: LLMDirector | None = None, voice: Voice | None = None,
                 voice_profile: VoiceProfile | None = None) -> None:
        self.scene, self.actor = scene, actor
        self.voice, self.voice_profile = voice, voice_profile
        self._voice_on = True
        self.director = director
        self.clock = clock or MonotonicClock()
        self.memory = memory or PlayerMemory()
        self.options = options or SessionOptions()
        self.signals = signals or SignalEvaluator()
        # Notices the player sees right after SceneStarted (memory or performer trouble).
        self.start_notices: list[ev.Notice] = []
        # Reloads the player's memory on restart (the engine sets it when memory is on).
        self.memory_source: Callable[[], Awaitable[PlayerMemory]] | None = None
        self.id = uuid.uuid4().hex
        self.log = log.bind(session_id=short_hash(self.id), scene=scene.id)
        self._bus = EventBus()
        self._lock = asyncio.Lock()
        self._line_ids = itertools.count(1)
        self._order = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()  # suggestions, director: settle() waits
        self._reset_state()

    def _reset_state(self) -> None:
        o = self.options
        self.world = World(self.scene, memory=self.memory, difficulty=o.difficulty or self.memory.difficulty,
                           overrides=dict(o.overrides), start_phase=o.start_phase)
        self.history: list[tuple[str, str]] = []
        self._lines = LinePerformer(self.scene, self.actor, clock=self.clock, emit=self._emit,
                                    history=self.history, log=self.log, voice=self.voice,
                                    voice_profile=self.voice_profile)
        self._lines.voice_on = self._voice_on
        self.notes: deque[str] = deque(maxlen=3)
        self._queue: list[_Queued] = []
        self._current: asyncio.Task[str | None] | None = None
        self._current_cue: Cue | None = None
        self._inflight = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._wake = asyncio.Event()
        self._paused = False
        self._started = False
        self._game_over: ev.GameOver | None = None
        self._ending_queued = False
        self._actions = 0  # player inputs so far: model suggestions older than the last are stale
        self._controls_view = self.world.controls()
        self._clock_task: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None

    # --- public API -------------------------------------------------------------------
    def events(self) -> Subscription:
        """A new subscription to every event emitted from now on."""
        return self._bus.subscribe()

    @property
    def ended(self) -> bool:
        return self.world.ending is not None

    @property
    def game_over(self) -> ev.GameOver | None:
        return self._game_over

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def speaking(self) -> bool:
        return self._current is not None

    @property
    def voice_on(self) -> bool:
        """The player's voice switch (TUI settings, the web's settings frame): off means no synthesis."""
        return self._voice_on

    @voice_on.setter
    def voice_on(self, value: bool) -> None:
        self._voice_on = self._lines.voice_on = value

    @property
    def busy(self) -> bool:
        """Whether input is being handled or a line is playing or queued."""
        return not self._is_quiet()

    async def start(self) -> None:
        """Emit SceneStarted, perform the opening and start the clock."""
        if self._started:
            return
        self._started = True
        w = self.world
        self._emit(ev.SceneStarted(
            scene_id=self.scene.id, title=self.scene.title, tagline=self.scene.tagline,
            player_role=self.scene.player.role,
            cast=tuple(ev.CastMember(cid, c.name) for cid, c in self.scene.cast.items()),
            gauges=w.gauges(), controls=w.controls(), phase=w.phase.id, phase_title=w.phase.title,
            performer=f"{self.actor.name} ({self.actor.reason})", minutes=self.scene.minutes,
            difficulty=w.difficulty))
        for notice in self.start_notices:
            self._emit(notice)
        self._worker = self._spawn(self._work())
        self._enqueue(self._cue("opening"))
        self._after(w.settle())
        if not self.ended:
            self._clock_task = self._spawn(self._run_clock())

    async def say(self, text: str) -> None:
        """The player speaks. Interrupts a line in progress, evaluates signals, cues a reply."""
        text = text.strip()
        if not text:
            return
        async with self._busy():
            if self._refuse_input():
                return
            self._emit(ev.PlayerSaid(text))
            self._actions += 1
            self.history.append(("player", text))
            interrupted = await self._interrupt_current(player_caused=True)
            self._drop_stale()
            self.world.player_acted()
            fired = await self.signals.evaluate(
                [s for s in self.scene.signals if s.about == "player" and self.world.signal_ready(s.id)],
                text, context=self._context())
            out = Outcome()
            for signal_id, source in fired:
                if self.world.signal_ready(signal_id):
                    self.world.fire_signal(signal_id, out)
                    self._emit(ev.SignalFired(signal_id, "player", source))
            self._after(self.world.settle(out))
            if not self.ended:
                self._enqueue(self._cue("reply", player_text=text, interrupted=interrupted,
                                        signals=tuple(out.signals)))

    async def press(self, control_id: str) -> bool:
        """The player presses a control. Returns whether it was accepted (a refusal is narrated)."""
        async with self._busy():
            if self._refuse_input():
                return False
            control = self.scene.control(control_id)
            if control is None:
                self._emit(ev.Notice(f"There is no control called '{control_id}'.", "warning"))
                return False
            view, out = self.world.press(control_id)
            self._actions += 1
            if not view.available:
                reason = (view.reason or "").rstrip(".")
                self._emit(ev.Narration(f"{control.label}: {reason}.", "refusal", control_id))
                self._emit_controls(force=True)
                return False
            if self._current_cue is not None and _PRIORITY[self._current_cue.kind] == BACKGROUND:
                await self._interrupt_current(player_caused=False)
            self._drop_stale()
            self._emit(ev.Narration(control.feedback or f"You use {control.label}.", "feedback", control_id))
            self.history.append(("player", f"[presses {control.label}]"))
            self._after(out, force_state=True)
            if not self.ended:
                self._enqueue(self._cue("control", control_id=control_id, beat=control.reaction))
            return True

    async def interrupt(self) -> None:
        """Cut the actor off without saying anything (the scene's interruption effects apply)."""
        async with self._busy():
            if not self._refuse_input(quiet=True):
                await self._interrupt_current(player_caused=True)

    def pause(self) -> None:
        """Stop the scene clock (web client gone, TUI pause). Lines in progress finish."""
        if not self._paused:
            self._paused = True
            self._emit(ev.Paused(True))

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._emit(ev.Paused(False))

    async def restart(self) -> None:
        """Start the scene again from the top: state, queue, notes, latches, the actor's decks."""
        await self._stop_tasks()
        if self.memory_source is not None:
            try:
                self.memory = await self.memory_source()
            except DigitalActorsError as e:
                self.log.warning("memory_reload_failed", error=e.message)
        self.actor.reset()
        self.signals.reset()
        if self.director is not None:
            self.director.reset()
        self._reset_state()
        await self.start()

    async def close(self) -> None:
        """Cancel everything and end every subscription."""
        await self._stop_tasks()
        await self.actor.aclose()
        self._bus.close()

    async def settle(self) -> None:
        """Wait until no input is being handled, no line is playing and none is queued
        (and background suggestions and director decisions are done)."""
        while True:
            await self._quiet.wait()
            for _ in range(3):
                await asyncio.sleep(0)
            if self._background:
                await asyncio.wait(set(self._background))
                continue
            if self._is_quiet():
                return

    @property
    def usage(self) -> dict[str, object]:
        """Model tokens used by this session, by purpose (empty for the understudy)."""
        tally = getattr(self.actor, "tally", None)
        return dict(tally.by_purpose) if tally is not None else {}

    # --- time ---------------------------------------------------------------------------
    async def _run_clock(self) -> None:
        step = self.options.tick
        while not self.ended:
            await self.clock.sleep(step / self.options.speed)
            if self._paused or self.ended:
                continue
            self._after(self.world.tick(step), tick=True)

    # --- reacting to outcomes -------------------------------------------------------------
    def _after(self, out: Outcome, *, force_state: bool = False, tick: bool = False) -> None:
        """Turn a world outcome into events and cues."""
        w = self.world
        if out.changed or force_state or tick:
            self._emit(ev.StateChanged(dict(out.changed), w.gauges(), w.elapsed, w.hidden(),
                                       self._time_left()))
        for phase in out.phases:
            self._emit(ev.PhaseChanged(phase.id, phase.title))
            self._enqueue(self._cue("phase", phase_id=phase.id, beat=phase.beat))
        for rule in out.rules:
            self._director(rule.id, rule.note, rule.hint, rule.narration, rule.nudge,
                           bool(rule.compiled_effects), rule.when)
        self._emit_controls()
        if out.ending is not None:
            self._begin_ending(out.ending)

    def _director(self, rule_id: str, note: str, hint: str, narration: str, nudge: bool,
                  effects: bool, when: str) -> None:
        reason = f"{when} (elapsed {self.world.elapsed:.0f}s, idle {self.world.idle:.0f}s)"
        if note:
            self.notes.append(note)
            self._emit(ev.DirectorNote(rule_id, "note", note, reason))
        if narration:
            self._emit(ev.Narration(narration, "director"))
            self._emit(ev.DirectorNote(rule_id, "event", narration, reason))
        if hint:
            self._emit(ev.DirectorNote(rule_id, "hint", hint, reason))
            self._enqueue(self._cue("hint", rule_id=rule_id, beat=hint))
        if nudge:
            self._emit(ev.DirectorNote(rule_id, "nudge", "idle nudge", reason))
            self._enqueue(self._cue("nudge", rule_id=rule_id))
        if effects and not (note or narration or hint or nudge):
            self._emit(ev.DirectorNote(rule_id, "effects", "state changed", reason))

    def _begin_ending(self, ending: Ending) -> None:
        if self._ending_queued:
            return
        self._ending_queued = True
        self.log.info("ending_reached", ending=ending.id, kind=ending.kind, elapsed=self.world.elapsed)
        self._queue.clear()
        if self._current is not None:
            self._current.cancel()
        self._enqueue(self._cue("ending", ending_id=ending.id, beat=ending.beat))

    def _finish_game(self) -> None:
        ending = self.world.ending
        if ending is None or self._game_over is not None:
            return
        w = self.world
        stats = {"elapsed": w.elapsed, **{f"uses.{k}": float(v) for k, v in w.pressed.items()},
                 "lines": float(sum(1 for who, _ in self.history if who == "actor"))}
        tally = getattr(self.actor, "tally", None)
        if tally is not None:
            stats.update({"tokens.input": float(tally.total.total_input),
                          "tokens.output": float(tally.total.output_tokens)})
        self._game_over = ev.GameOver(ending.id, ending.kind, ending.title, ending.epilogue,
                                      w.elapsed, stats)
        self._emit(self._game_over)

    # --- the line queue ---------------------------------------------------------------------
    def _cue(self, kind: CueKind, **fields: object) -> Cue:
        cue = Cue(kind=kind, character_id=self.scene.lead_id, notes=tuple(self.notes),
                  names=self.world.names(), memory=self.memory, history=tuple(self.history),
                  elapsed=self.world.elapsed)
        return replace(cue, **fields)  # type: ignore[arg-type]

    def _enqueue(self, cue: Cue) -> None:
        priority = _PRIORITY[cue.kind]
        if self._ending_queued and priority != ENDING:
            return
        if priority == BACKGROUND and any(q.priority == BACKGROUND for q in self._queue):
            return  # one background line waits at most; it never talks over a line in progress
        if priority == PLAYER:
            self._queue = [q for q in self._queue if q.priority != PLAYER]
        self._queue.append(_Queued(priority, next(self._order), cue))
        self._queue.sort(key=lambda q: (-q.priority, q.order))
        self._quiet.clear()
        self._wake.set()

    def _drop_stale(self) -> None:
        """A new player action makes queued background lines and older reactions stale."""
        self._queue = [q for q in self._queue if q.priority not in (BACKGROUND, PLAYER)]
        self._update_quiet()

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                queued = self._queue.pop(0)
                self._current_cue = queued.cue
                task = self._current = asyncio.create_task(self._perform(queued.cue))
                await asyncio.wait({task})
                self._current, self._current_cue = None, None
                text = None if task.cancelled() else self._result(task)
                if queued.cue.kind == "ending":
                    self._finish_game()
                elif text is not None:
                    await self._after_line(queued.cue, text)
            self._update_quiet()

    def _result(self, task: asyncio.Task[str | None]) -> str | None:
        exc = task.exception()
        if exc is not None:
            self.log.error("performance_failed", error=repr(exc))
            self._emit(ev.TurnFailed("The actor lost the line.", "the scene goes on; say something"))
            return None
        return task.result()

    async def _perform(self, cue: Cue) -> str | None:
        """Perform one cue as a line (see lines.py). Returns the displayed text."""
        return await self._lines.perform(cue, lambda: f"{self.id[:8]}-{next(self._line_ids)}")

    async def _after_line(self, cue: Cue, text: str) -> None:
        if cue.kind == "ending" or self.ended:
            return
        actor_signals = [s for s in self.scene.signals if s.about == "actor"]
        if actor_signals and text:
            fired = await self.signals.evaluate(actor_signals, text, context=self._context())
            out = Outcome()
            for signal_id, source in fired:
                if self.world.signal_ready(signal_id):
                    self.world.fire_signal(signal_id, out)
                    self._emit(ev.SignalFired(signal_id, "actor", source))
            if out.signals:
                self._after(self.world.settle(out))
        if self.options.suggestions and cue.kind in ("opening", "reply", "control", "phase") and not self.ended:
            later = getattr(self.actor, "suggest_later", None)
            if later is not None:  # a model writes them: in the background, never delaying a line
                pending = later(replace(cue, history=tuple(self.history)), text)
                self._background_task(self._suggest_later(pending, self._actions))
            else:
                picks = self.actor.suggest(cue, text)
                if picks:
                    self._emit(ev.Suggestions(tuple(picks[:3])))
        if self.director is not None and not self.ended and self.director.due(self.world.elapsed):
            self.director.mark(self.world.elapsed)
            self._background_task(self._consult_director())

    async def _suggest_later(self, pending: Awaitable[list[str]], actions: int) -> None:
        """Emit model-written suggestions unless the player has acted meanwhile."""
        picks = await pending
        if picks and not self.ended and self._actions == actions:
            self._emit(ev.Suggestions(tuple(picks[:3])))

    async def _consult_director(self) -> None:
        """Ask the director model for one decision and act on it (never touches state)."""
        assert self.director is not None
        w = self.world
        view = DirectorView(w.elapsed, w.idle, w.phase.id, dict(w.values), tuple(self.notes),
                            tuple(self.history), tuple(k for k, v in w.fired.items() if v))
        decision = await self.director.decide(view)
        if decision is None or self.ended:
            return
        why = f"director model: {decision.reason or decision.action}"
        if decision.action == "continue":
            self._emit(ev.DirectorNote("llm", "continue", "", why))
            return
        self._director("llm", decision.text if decision.action == "npc_note" else "",
                       decision.text if decision.action == "hint" else "",
                       decision.text if decision.action == "event" else "", False, False, why)

    def _background_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._spawn(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _interrupt_current(self, *, player_caused: bool) -> bool:
        """Cancel the line in progress. Returns whether a line was cut off."""
        task = self._current
        if task is None or task.done():
            return False
        self._lines.cut_by_player = player_caused
        task.cancel()
        await asyncio.wait({task})
        self._lines.cut_by_player = False
        if player_caused:
            inter = self.scene.interruptions
            if inter.narration:
                self._emit(ev.Narration(inter.narration, "interruption"))
            self._after(self.world.interrupt())
        return True

    # --- helpers -------------------------------------------------------------------------
    def _refuse_input(self, *, quiet: bool = False) -> bool:
        if not self._started:
            raise RuntimeError("start() the session before sending input")
        if self.ended:
            if not quiet:
                self._emit(ev.Notice("The scene is over: restart to play again.", "info"))
            return True
        return False

    def _emit(self, event: ev.Event) -> None:
        self._bus.emit(event)

    def _emit_controls(self, *, force: bool = False) -> None:
        view = self.world.controls()
        if force or view != self._controls_view:
            self._controls_view = view
            self._emit(ev.ControlsChanged(view))

    def _time_left(self) -> float | None:
        for name, var in self.scene.state.items():
            if var.countdown:
                return self.world.values[name]
        return None

    def _context(self) -> str:
        return "\n".join(f"{who}: {text}" for who, text in self.history[-6:])

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.log.error("session_task_failed", error=repr(exc))
            self._emit(ev.TurnFailed("Something went wrong inside the scene engine.",
                                     "the scene keeps going; please report this with the log"))

    def _is_quiet(self) -> bool:
        return not self._queue and self._current is None and self._inflight == 0

    def _update_quiet(self) -> None:
        if self._is_quiet():
            self._quiet.set()
        else:
            self._quiet.clear()

    @contextlib.asynccontextmanager
    async def _busy(self):  # type: ignore[no-untyped-def]
        self._inflight += 1
        self._quiet.clear()
        try:
            async with self._lock:
                yield
        finally:
            self._inflight -= 1
            self._update_quiet()

    async def _stop_tasks(self) -> None:
        tasks = [t for t in (self._clock_task, self._current, self._worker) if t is not None]
        tasks += list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
