"""A Session: one player playing one scene — its lifecycle, its inputs and its one line worker.

Inputs: ``say``, ``press``, ``interrupt``, ``pause``/``resume``, ``restart``, ``close``.
Output: ``events()`` subscriptions (the clock and the director speak unprompted). The rules
live in ``World``; what an outcome shows and cues is ``outcomes.Consequences``; the order of
lines is ``queue.LineQueue``; running one line is ``lines.LineRunner``; what the
player's words mean is ``signals.SignalEvaluator``. Everything that belongs to the player
lives on the instance.

A turn: ``say`` → the offline signals apply at once and the reply is queued at once (the line
never waits for a judge) ∥ the judge's verdicts land in the background and apply then →
the worker performs the reply, sentences go to the voice as they complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

import structlog

from digital_actors import events as ev
from digital_actors.bus import EventBus, Subscription
from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import DigitalActorsError
from digital_actors.logging import short_hash
from digital_actors.player import Recollection
from digital_actors.scene.model import Ending, Scene
from digital_actors.turn import outcomes
from digital_actors.turn.lines import LineRunner
from digital_actors.turn.options import SessionOptions
from digital_actors.turn.outcomes import Consequences
from digital_actors.turn.ports import Actor, Cue, CueKind, Director, DirectorView
from digital_actors.turn.queue import BACKGROUND, LineQueue, priority
from digital_actors.turn.signals import Pending, SignalEvaluator, Verdict
from digital_actors.turn.snapshot import HISTORY_WINDOW, SessionSnapshot, SnapshotError
from digital_actors.understanding import Context, asks_for_name, find_name
from digital_actors.voice.base import Voice, VoiceProfile
from digital_actors.world import Outcome, World

log = structlog.get_logger()
PRESS_PREFIX = "[presses "  # how a press is written in the history (see ``press``)
__all__ = ["Session", "SessionOptions"]


class Session:
    """Plays one scene for one player. Create, subscribe with ``events()``, then ``start()``."""

    def __init__(self, scene: Scene, *, actor: Actor, clock: Clock | None = None,
                 recollection: Recollection | None = None, options: SessionOptions | None = None,
                 signals: SignalEvaluator | None = None, director: Director | None = None,
                 voice: Voice | None = None, voice_profile: VoiceProfile | None = None) -> None:
        self.scene, self.actor = scene, actor
        self.voice, self.voice_profile = voice, voice_profile
        self._voice_on = True
        self.director = director
        self.clock = clock or MonotonicClock()
        self.recollection = recollection or Recollection()
        self.options = options or SessionOptions()
        self.signals = signals or SignalEvaluator()
        # Notices the player sees right after SceneStarted (memory store or casting trouble).
        self.start_notices: list[ev.Notice] = []
        # Reloads the player's recollection on restart (the engine sets it when memory is on).
        self.recollection_source: Callable[[], Awaitable[Recollection]] | None = None
        self.id = uuid.uuid4().hex
        # A front end that bound its own session_id (structlog contextvars: the web player's)
        # keeps it, so one id follows a player from the socket into the dialogue.
        if "session_id" in structlog.contextvars.get_contextvars():
            self.log = log.bind(scene=scene.id)
        else:
            self.log = log.bind(session_id=short_hash(self.id), scene=scene.id)
        self._bus = EventBus()
        self._lock = asyncio.Lock()
        self._inputs = 0  # inputs being handled: the worker starts no line meanwhile
        self._no_input = asyncio.Event()
        self._no_input.set()
        self._line_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()  # verdicts, suggestions, director: settle() waits
        self._closed = False
        self.player_name = self.recollection.player_name
        self._reset_state()

    def _reset_state(self) -> None:
        o = self.options
        self.world = World(self.scene, recollection=self.recollection,
                           difficulty=o.difficulty or self.recollection.difficulty,
                           overrides=dict(o.overrides), start_phase=o.start_phase)
        self.history: list[tuple[str, str]] = []
        self._lines = LineRunner(self.scene, self.actor, clock=self.clock, emit=self._emit,
                                 history=self.history, log=self.log, voice=self.voice,
                                 voice_profile=self.voice_profile)
        self._lines.voice_on = self._voice_on
        self.notes: deque[str] = deque(maxlen=3)
        self._queue = LineQueue()
        self._stage = Consequences(self.scene, self.world, emit=self._emit, cue=self._queue_cue, notes=self.notes)
        self._current: asyncio.Task[str | None] | None = None
        self._current_cue: Cue | None = None
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._wake = asyncio.Event()
        self._paused = False
        self._started = False
        self._game_over: ev.GameOver | None = None
        self._actions = 0  # player inputs so far: model suggestions older than the last are stale
        self._clock_task: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._earlier_lines = 0  # the character's lines no longer in ``history`` (a resumed session)
        self._resumed: SessionSnapshot | None = None

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
    def closed(self) -> bool:
        """Closed: every task stopped (the clock too) and every subscription ended."""
        return self._closed

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
        """Whether input is being handled, a line is playing or queued, or a verdict is pending."""
        return not self._is_quiet() or bool(self._background)

    @property
    def queued(self) -> list[CueKind]:
        """The kinds of the cues waiting, next first (tests, the inspector)."""
        return self._queue.kinds()

    async def start(self) -> None:
        """Emit SceneStarted, perform the opening and start the clock (a restored session goes on instead)."""
        if self._started:
            return
        self._started = True
        if self._resumed is not None:
            self._go_on(self._resumed)
            return
        w = self.world
        self._emit(ev.SceneStarted(
            scene_id=self.scene.id, title=self.scene.title, tagline=self.scene.tagline,
            player_role=self.scene.player.role,
            cast=tuple(ev.CastMember(cid, c.name) for cid, c in self.scene.cast.items()),
            gauges=w.gauges(), controls=w.controls(), phase=w.phase.id, phase_title=w.phase.title,
            performer=f"{self.actor.name} ({self.actor.reason})", minutes=self.scene.minutes,
            difficulty=w.difficulty, time_left=self._stage.time_left()))
        for notice in self.start_notices:
            self._emit(notice)
        self._worker = self._spawn(self._work())
        self._queue_cue("opening")
        self._after(w.settle())
        if not self.ended:
            self._clock_task = self._spawn(self._run_clock())

    async def say(self, text: str) -> None:
        """The player speaks: cut off a line in progress, apply what the words surely mean and
        queue the reply at once; what a judge must decide lands in the background."""
        text = text.strip()
        if not text:
            return
        async with self._input():
            if self._refuse_input():
                return
            self._emit(ev.PlayerSaid(text))
            self._actions += 1
            context = Context(name_asked=asks_for_name(self._last_line()))
            self.history.append(("player", text))
            self._queue.drop_stale()  # before the cut: nothing stale may start in the gap
            interrupted = await self._interrupt_current(player_caused=True)
            self.world.player_acted()
            self._hear_name(text, context)
            ready = [s for s in self.scene.signals if s.about == "player" and self.world.signal_ready(s.id)]
            now, pending = self.signals.split(ready, text, context=context)
            out = self._fire(now, "player")
            self._after(self.world.settle(out))
            if not self.ended:
                self._queue_cue("reply", player_text=text, interrupted=interrupted, signals=tuple(out.signals))
            if pending and not self.ended:
                self._background_task(self._judge_later(pending, text, self._context()))

    async def press(self, control_id: str) -> bool:
        """The player presses a control. Returns whether it was accepted (a refusal is narrated)."""
        async with self._input():
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
                self._stage.controls(force=True)
                return False
            self._queue.drop_stale()
            if self._current_cue is not None and priority(self._current_cue) == BACKGROUND:
                await self._interrupt_current(player_caused=False)
            self._emit(ev.Narration(control.feedback or f"You use {control.label}.", "feedback", control_id))
            self.history.append(("player", f"{PRESS_PREFIX}{control.label}]"))
            self._after(out, force_state=True)
            if not self.ended:
                self._queue_cue("control", control_id=control_id, beat=control.reaction)
            return True

    async def interrupt(self) -> None:
        """Cut the actor off without saying anything (the scene's interruption effects apply)."""
        async with self._input():
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
        if self.recollection_source is not None:
            try:
                self.recollection = await self.recollection_source()
            except (DigitalActorsError, TimeoutError) as e:  # play on with what was known
                self.log.warning("memory_reload_failed", error=getattr(e, "message", "timeout"))
        self.player_name = self.player_name or self.recollection.player_name
        self.actor.reset()
        self.signals.reset()
        if self.director is not None:
            self.director.reset()
        self._reset_state()
        await self.start()

    def snapshot(self, *, window: int = HISTORY_WINDOW) -> SessionSnapshot:
        """This playthrough as plain values (turn/snapshot.py), with the last ``window`` turns of dialogue."""
        kept = self.history[-window:] if window > 0 else []
        dropped = self.history[:len(self.history) - len(kept)]
        continuity = self.actor.continuity
        return SessionSnapshot(
            scene_id=self.scene.id, options=self.options, world=self.world.state(), recollection=self.recollection,
            history=tuple(kept), earlier_lines=self._earlier_lines + sum(1 for who, _ in dropped if who == "actor"),
            notes=tuple(self.notes), player_name=self.player_name, paused=self._paused, actions=self._actions,
            over=self._game_over is not None, actor=continuity.save() if continuity is not None else None)

    def restore(self, snapshot: SessionSnapshot) -> None:
        """Continue ``snapshot``'s playthrough: call before ``start()``, which then emits no SceneStarted
        (the scene goes on). Raises SnapshotError for another scene's snapshot or one that cannot apply."""
        if self._started:
            raise RuntimeError("restore() a session before start()")
        if snapshot.scene_id != self.scene.id:
            raise SnapshotError(f"a snapshot of {snapshot.scene_id!r} cannot continue {self.scene.id!r}")
        self.options, self.recollection = snapshot.options, snapshot.recollection
        self._reset_state()
        try:
            self.world.restore(snapshot.world)
        except ValueError as e:
            raise SnapshotError(str(e)) from e
        self.history[:] = snapshot.history  # in place: the line runner holds this list
        self.notes.extend(snapshot.notes)
        self.player_name, self._paused, self._actions = snapshot.player_name, snapshot.paused, snapshot.actions
        self._earlier_lines = snapshot.earlier_lines
        continuity = self.actor.continuity
        if continuity is not None and snapshot.actor is not None:
            continuity.load(snapshot.actor)
        self._resumed = snapshot

    def _go_on(self, snapshot: SessionSnapshot) -> None:
        """A restored playthrough goes on: gauges and controls are told afresh, an ending reached but
        not yet played is played, a player line left unanswered is answered; then the clock runs."""
        self._stage.controls(force=True)
        self._after(Outcome(), force_state=True)
        self._worker = self._spawn(self._work())
        ending = self.world.ending
        if ending is not None and snapshot.over:
            tally = self.actor.tally
            self._game_over = outcomes.game_over(self.world, self.history, tally.total if tally is not None else None,
                                                 earlier_lines=self._earlier_lines)
        elif ending is not None:
            self._begin_ending(ending, cut=False)
        elif self.history and self.history[-1][0] == "player" and not self.history[-1][1].startswith(PRESS_PREFIX):
            self._queue_cue("reply", player_text=self.history[-1][1])
        if not self.ended:
            self._clock_task = self._spawn(self._run_clock())

    async def close(self) -> None:
        """Cancel everything and end every subscription."""
        self._closed = True
        await self._stop_tasks()
        await self.actor.aclose()
        self._bus.close()

    async def settle(self) -> None:
        """Wait until no input is being handled, no line is playing and none is queued
        (and pending verdicts, background suggestions and director decisions are done)."""
        while True:
            await self._quiet.wait()
            for _ in range(3):
                await asyncio.sleep(0)
            if self._background:
                await asyncio.wait(set(self._background))
                continue
            if self._is_quiet():
                return

    def notify(self, notice: ev.Notice) -> None:
        """Tell the player something from outside the scene (the engine: saving stopped or is back)."""
        if not self._closed:
            self._emit(notice)

    def name_player(self, name: str) -> None:
        """The player set the name the characters call them (a front end's name field)."""
        name = " ".join(name.split())
        if name and name != self.player_name:
            self.player_name = name
            self._emit(ev.PlayerNamed(name))

    @property
    def usage(self) -> dict[str, object]:
        """Model tokens used by this session, by purpose (empty for the understudy)."""
        tally = self.actor.tally
        return dict(tally.by_purpose) if tally is not None else {}

    # --- meaning --------------------------------------------------------------------------
    def _fire(self, verdicts: list[Verdict], about: str) -> Outcome:
        out = Outcome()
        for verdict in verdicts:
            if self.world.signal_ready(verdict.signal_id):
                self.world.fire_signal(verdict.signal_id, out)
                self._emit(ev.SignalFired(verdict.signal_id, about, verdict.source))
        return out

    async def _judge_later(self, pending: Pending, text: str, context: str) -> None:
        """Apply the judge's verdicts when they land (the reply is already on its way). An ending
        they reach waits for the line in progress, then plays."""
        verdicts = await self.signals.verdicts(pending, text, context=context)
        if not verdicts:
            return
        async with self._input():
            if self.ended:
                return
            out = self._fire(verdicts, "player")
            if out.signals:
                self._after(self.world.settle(out), cut=False)

    def _last_line(self) -> str:
        return next((text for who, text in reversed(self.history) if who == "actor"), "")

    def _hear_name(self, text: str, context: Context) -> None:
        """The player told us their name (a bare "Sam." counts when the character just asked):
        keep it (the memory binding stores it) and use it."""
        name = find_name(text, asked=context.name_asked)
        if name:
            self.name_player(name)

    # --- time ---------------------------------------------------------------------------
    async def _run_clock(self) -> None:
        step = self.options.tick
        while not self.ended:
            await self.clock.sleep(step / self.options.speed)
            if self._paused or self.ended:
                continue
            self._after(self.world.tick(step), tick=True)

    # --- reacting to outcomes -------------------------------------------------------------
    def _after(self, out: Outcome, *, force_state: bool = False, tick: bool = False, cut: bool = True) -> None:
        ending = self._stage.report(out, force_state=force_state, tick=tick)
        if ending is not None:
            self._begin_ending(ending, cut=cut)

    def _begin_ending(self, ending: Ending, *, cut: bool) -> None:
        if self._queue.ending_queued:
            return
        self.log.info("ending_reached", ending=ending.id, kind=ending.kind, elapsed=self.world.elapsed)
        self._queue_cue("ending", ending_id=ending.id, beat=ending.beat)
        if cut and self._current is not None:
            self._current.cancel()

    def _finish_game(self) -> None:
        if self._game_over is not None:
            return
        tally = self.actor.tally
        self._game_over = outcomes.game_over(self.world, self.history, tally.total if tally is not None else None,
                                             earlier_lines=self._earlier_lines)
        if self._game_over is not None:
            self._emit(self._game_over)

    # --- the line queue ---------------------------------------------------------------------
    def _queue_cue(self, kind: CueKind, **fields: Any) -> None:
        cue = Cue(kind=kind, character_id=self.scene.lead_id, notes=tuple(self.notes),
                  names=self.world.names(), recollection=self.recollection, history=tuple(self.history),
                  elapsed=self.world.elapsed, player_name=self.player_name)
        if self._queue.push(replace(cue, **fields)):
            self._quiet.clear()
            self._wake.set()

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                await self._no_input.wait()  # an input being handled may still queue its reply
                if not self._queue:
                    break
                cue = self._queue.pop()
                self._current_cue = cue
                task = self._current = asyncio.create_task(self._run_line(cue))
                await asyncio.wait({task})
                self._current, self._current_cue = None, None
                if not task.cancelled():
                    self._result(task)
                if cue.kind == "ending":
                    self._finish_game()
            self._update_quiet()

    def _result(self, task: asyncio.Task[str | None]) -> None:
        exc = task.exception()
        if exc is not None:
            self.log.error("performance_failed", error=repr(exc), exc_info=exc)
            self._emit(ev.TurnFailed("The actor lost the line.", "the scene goes on; say something"))

    async def _run_line(self, cue: Cue) -> str | None:
        """Run one cue as a line (see lines.py). Returns the displayed text."""
        return await self._lines.run(cue, lambda: f"{self.id[:8]}-{next(self._line_ids)}",
                                     text_done=lambda text: self._line_said(cue, text))

    def _line_said(self, cue: Cue, text: str) -> None:
        """The line's text is complete (its audio may still be coming): signals about the actor's
        words, suggestions and the director's turn — none of them waits for the voice."""
        if cue.kind == "ending" or self.ended or not text:
            return
        actor_signals = [s for s in self.scene.signals if s.about == "actor" and self.world.signal_ready(s.id)]
        if actor_signals:
            out = self._fire(self.signals.offline(actor_signals, text), "actor")
            if out.signals:
                self._after(self.world.settle(out))
        if self.options.suggestions and cue.kind in ("opening", "reply", "control", "phase") and not self.ended:
            self._suggest(cue, text)
        if self.director is not None and not self.ended and self.director.due(self.world.elapsed):
            self.director.mark(self.world.elapsed)
            self._background_task(self._consult_director())

    def _suggest(self, cue: Cue, text: str) -> None:
        now = replace(cue, history=tuple(self.history), names=self.world.names(), player_name=self.player_name)
        later = self.actor.suggestions_later
        if later is not None:  # a model writes them: in the background, never delaying a line
            self._background_task(self._suggest_later(later(now, text), self._actions))
            return
        picks = self.actor.suggest(now, text)
        if picks:
            self._emit(ev.Suggestions(tuple(picks[:3])))

    async def _suggest_later(self, pending: Awaitable[list[str]], actions: int) -> None:
        """Emit model-written suggestions unless the player has acted meanwhile."""
        picks = await pending
        if picks and not self.ended and self._actions == actions:
            self._emit(ev.Suggestions(tuple(picks[:3])))

    async def _consult_director(self) -> None:
        """Ask the director for one decision and act on it (it never touches state)."""
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
        if decision.action == "hint":
            if not w.background_due():  # the same gap as the scene's own hints and nudges
                self._emit(ev.DirectorNote("llm", "continue", "", f"{why} (hint held: too soon after the last)"))
                return
            w.mark_background()
        self._stage.direct("llm", note=decision.text if decision.action == "npc_note" else "",
                           hint=decision.text if decision.action == "hint" else "",
                           narration=decision.text if decision.action == "event" else "", why=why)

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
            self.log.error("session_task_failed", error=repr(exc), exc_info=exc)
            self._emit(ev.TurnFailed("Something went wrong inside the scene engine.",
                                     "the scene keeps going; please report this with the log"))

    def _is_quiet(self) -> bool:
        return not self._queue and self._current is None and self._inputs == 0

    def _update_quiet(self) -> None:
        if self._is_quiet():
            self._quiet.set()
        else:
            self._quiet.clear()

    @contextlib.asynccontextmanager
    async def _input(self) -> AsyncIterator[None]:
        """One input at a time, in order; while any is being handled the worker starts no line."""
        self._inputs += 1
        self._no_input.clear()
        self._quiet.clear()
        try:
            async with self._lock:
                yield
        finally:
            self._inputs -= 1
            if self._inputs == 0:
                self._no_input.set()
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
