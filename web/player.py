"""One web player's session: their engine session, its event pump, and the socket link of the moment.

The session never sees a socket: it gets a ``Link`` of send callables when a socket attaches and
loses it when the socket drops (which pauses the scene clock until the player is back).

With a shared store it can also travel: ``take_snapshot`` (what changed is marked by the pump:
a turn's events at once, the clock alone now and then) and ``restore`` in another process, which
goes on with the scene and the attempt memory is recording; ``hand_off`` lets go here.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import structlog

from digital_actors import events as ev
from digital_actors.clock import Clock
from digital_actors.engine import MEMORY_TIMEOUT, Engine, SessionRequest
from digital_actors.errors import DigitalActorsError
from digital_actors.logging import short_hash
from digital_actors.memory.observer import AttemptState
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session
from digital_actors.turn.snapshot import SessionSnapshot
from web import protocol, snapshot
from web.catalog import SceneCatalog
from web.metrics import PLAYER_VISIBLE_ERRORS, REQUESTS, RESPONSE_SECONDS, count_error
from web.store import token_key
from web.view import SessionView

log = structlog.get_logger()
CLEAN, CLOCK, TURN = 0, 1, 2  # what changed since the last snapshot: nothing, the scene clock, a turn
CLOCK_EVERY = 5.0  # seconds between two snapshots of a session whose only change is its clock
# Events that change nothing a snapshot keeps: a line in progress is not saved (a resumed scene
# replies again), audio and the inspector's events are not state.
UNSAVED = (ev.LineStarted, ev.LineDelta, ev.AudioChunk, ev.AudioFinished, ev.Timing, ev.DirectorNote)


@dataclass(frozen=True, slots=True)
class Link:
    """How a session reaches the socket it is attached to (never the socket itself)."""

    send_text: Callable[[str], Awaitable[None]]
    send_bytes: Callable[[bytes], Awaitable[None]]
    close: Callable[[int, str], Awaitable[None]]


class PlayerSession:
    """A player's token, identity and scene; survives reconnects within the resume window."""

    def __init__(self, token: str, player_id: str, *, engine: Engine, catalog: SceneCatalog,
                 clock: Clock, pace: float, client: str = "") -> None:
        self.token, self.player_id, self.client = token, player_id, client
        self.key = token_key(token)
        self.id = uuid.uuid4().hex
        self.engine, self.catalog, self.clock, self.pace = engine, catalog, clock, pace
        self.issued_at = clock.now()
        self.detached_at: float | None = None
        self.link: Link | None = None
        self.session: Session | None = None
        self.view = SessionView()
        self.voice = True
        self.suggestions: bool | None = None
        self.text_speed: protocol.TextSpeed = "normal"
        self.given_name = ""  # what the player asked to be called here (memory keeps it too)
        self.closed = False
        self._remembered = False  # the player's row is in the memory store (made at the first scene)
        self.log_id = short_hash(self.id)  # what logs and the Welcome frame call this session
        self.log = log.bind(session_id=self.log_id)
        self._pump: asyncio.Task[None] | None = None
        self._paused_by_player = False
        self._awaiting: float | None = None
        self._reply_line: str | None = None
        self._turn_open = False  # a turn whose outcome (delivered or failed) is not known yet
        self._turn_line: str | None = None
        self._lock = asyncio.Lock()
        self.dirty = CLEAN
        self._saved_at = clock.now()

    # --- connection ------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.link is not None

    @property
    def waiting(self) -> bool:
        """Issued, and no socket has attached yet: the first place to give up to a new player."""
        return self.link is None and self.detached_at is None

    async def attach(self, link: Link) -> None:
        """A socket arrived with this session's token: it replaces any older one; the clock resumes."""
        old, self.link, self.detached_at = self.link, link, None
        if old is not None:
            await old.close(4409, "replaced by a newer connection")
        if self.session is not None and self.session.paused and not self._paused_by_player:
            self.session.resume()

    def detach(self, link: Link) -> None:
        """The socket went away: pause the scene and start the resume window."""
        if self.link is not link:
            return
        self.link, self.detached_at = None, self.clock.now()
        if self.session is not None and not self.session.paused:
            self.session.pause()

    async def send(self, frame: str) -> None:
        link = self.link
        if link is not None:
            await link.send_text(frame)

    # --- commands ----------------------------------------------------------------------
    async def handle(self, command: protocol.Command) -> None:
        """Carry out one validated command. DigitalActorsError reaches the player as an Error frame.

        The player's ``session_id`` is bound for the command (structlog contextvars), so the
        engine session's own lines (``turn``, the model's) carry it too: tasks the session starts
        here inherit the binding."""
        with structlog.contextvars.bound_contextvars(session_id=self.log_id):
            await self._handle(command)

    async def _handle(self, command: protocol.Command) -> None:
        async with self._lock:
            match command:
                case protocol.Start(scene=scene_id):
                    await self._start(await self.catalog.find(scene_id))
                case protocol.Resume(snapshot=snapshot):
                    if self.session is not None and self.session.paused:
                        self._paused_by_player = False
                        self.session.resume()
                    if snapshot:
                        await self.send(self.view.snapshot_frame(player_id=self.player_id, voice=self.voice,
                                                                 name=self.given_name))
                case protocol.SetName(name=name):
                    await self._set_name(name)
                    self.mark_changed()
                case protocol.Leave():
                    await self._leave()
                    self.mark_changed()
                case protocol.SettingsCommand(voice=voice, suggestions=suggestions, text_speed=speed):
                    self.mark_changed()
                    self.voice = self.voice if voice is None else voice
                    self.suggestions = self.suggestions if suggestions is None else suggestions
                    self.text_speed = self.text_speed if speed is None else speed
                    if self.session is not None:
                        self.session.voice_on = self.voice  # no synthesis while the player has it off
                    if self.session is not None and suggestions is not None:
                        self.session.options = replace(self.session.options, suggestions=suggestions)
                case _:
                    await self._play(command, self._require())

    async def _play(self, command: protocol.Command, session: Session) -> None:
        match command:
            case protocol.Say(text=text):
                self._count("say", session)
                self._resume_for_input(session)
                await session.say(text)
            case protocol.Press(control=control):
                self._count("press", session)
                self._resume_for_input(session)
                await session.press(control)
            case protocol.Interrupt():
                await session.interrupt()
            case protocol.Restart():
                await self._start(session.scene)
            case protocol.Pause():
                self._paused_by_player = True
                session.pause()
                self.mark_changed()

    def _resume_for_input(self, session: Session) -> None:
        """Acting means playing (as in the terminal game): speaking or pressing resumes a paused clock."""
        if session.paused and not session.ended:
            self._paused_by_player = False
            session.resume()

    async def _leave(self) -> None:
        """The player went back to the scene list: the scene ends (its attempt is recorded as quit
        unless it had ended) and the page gets a view with no scene, after which nothing of the
        old scene is sent (the pump drops the events of a session that is no longer current)."""
        if self.session is not None:
            self.log.info("scene_left", event_type="scene_left", scene=self.session.scene.id,
                          ended=self.session.ended)
        await self._end_scene()
        self.view.reset()
        await self.send(self.view.snapshot_frame(player_id=self.player_id, voice=self.voice,
                                                 name=self.given_name))

    def forgot_everything(self) -> None:
        """The player had their whole memory forgotten: their row is gone (the next scene makes a
        new one) and so is the name they gave."""
        self._remembered = False
        self.given_name = ""
        self.view.forget_name()

    async def _set_name(self, name: str) -> None:
        """The player typed the name the characters should use: the scene uses it at once and
        memory keeps it (the running scene's memory binding writes it; with no scene, we do)."""
        name = " ".join(name.split())
        if not name or not name.isprintable():
            raise DigitalActorsError("That name can't be used.", hint="use letters, up to 40 characters")
        self.given_name = name
        if self.session is not None:
            self.session.name_player(name)
            return
        await self.send(protocol.dumps({"type": "PlayerNamed", "name": name}))
        self.engine.remember_name(self.player_id, name)  # the outbox lands it, however long the store refuses

    def _require(self) -> Session:
        if self.session is None:
            raise DigitalActorsError("No scene is playing yet.", hint="choose a scene first")
        return self.session

    def _count(self, kind: str, session: Session) -> None:
        REQUESTS.labels(session.scene.id, session.scene.lead_id, kind).inc()
        if not session.ended:
            self._awaiting, self._reply_line = time.perf_counter(), None
            self._turn_open, self._turn_line = True, None

    # --- scene lifecycle ------------------------------------------------------------------
    async def _start(self, scene: Scene, *, resume: SessionSnapshot | None = None,
                     attempt: AttemptState | None = None) -> None:
        await self._end_scene()
        request = SessionRequest(scene=scene.id, pace=self.pace * protocol.TEXT_SPEEDS[self.text_speed],
                                 suggestions=self.suggestions, player_name=self.given_name or None)
        # The engine loads the player's memory and records each attempt (memory/binding.py);
        # if the store is unusable, the session starts anyway with a Notice saying so.
        player_id = await self._remember_player()
        session = await self.engine.new_session(request, scene=scene, player_id=player_id, resume=resume,
                                                attempt=attempt)
        subscription = session.events()
        session.voice_on = self.voice
        self.session = session
        if resume is None:
            self._paused_by_player = False
        self._pump = asyncio.create_task(self._run_pump(session, subscription))
        self.log.info("scene_resumed" if resume is not None else "scene_started", event_type="scene_started",
                      scene=scene.id, engine_session_id=short_hash(session.id))
        await session.start()
        self.mark_changed()

    # --- travelling between processes ------------------------------------------------------
    def mark_changed(self, level: int = TURN) -> None:
        """Something a snapshot keeps changed (``TURN``), or only the scene clock (``CLOCK``)."""
        self.dirty = max(self.dirty, level)

    def snapshot_due(self, now: float) -> bool:
        """Whether the next flush should write this session's snapshot."""
        return self.dirty == TURN or (self.dirty == CLOCK and now - self._saved_at >= CLOCK_EVERY)

    def take_snapshot(self) -> bytes:
        """The session as bytes (web/snapshot.py); it counts as saved from now."""
        session = self.session
        state = snapshot.PlayerState(
            self.player_id, given_name=self.given_name, voice=self.voice, suggestions=self.suggestions,
            paused_by_player=self._paused_by_player, remembered=self._remembered,
            scene=session.snapshot() if session is not None else None,
            attempt=self.engine.attempt_state(session) if session is not None else None, view=self.view.view)
        self.dirty, self._saved_at = CLEAN, self.clock.now()
        return snapshot.dumps(state)

    async def restore(self, state: snapshot.PlayerState) -> None:
        """Go on with a session another process saved: the player's name and switches, the page's
        view and the scene (the same attempt goes on being recorded). Before a socket attaches.
        Raises DigitalActorsError when the scene no longer loads, ValueError when it cannot go on."""
        self.player_id, self.given_name, self.voice = state.player_id, state.given_name, state.voice
        self.suggestions, self._paused_by_player = state.suggestions, state.paused_by_player
        self._remembered = state.remembered
        self.view = SessionView(view=state.view)
        if state.scene is not None:
            scene = await self.catalog.find(state.scene.scene_id)
            await self._start(scene, resume=state.scene, attempt=state.attempt)

    async def hand_off(self) -> None:
        """The session went on in another process: let go here, recording and saving nothing (its
        socket, if this process still has one, is told it was replaced: 4409)."""
        if self.session is not None:
            self.engine.hand_off(self.session)
        link = self.link
        if link is not None:
            await link.close(4409, "continued on another connection")
        await self.close()

    async def _remember_player(self) -> str | None:
        """The id to record this scene under: the player's row is made at their first scene, never
        when a token is issued, so tokens (which a flood gets for one request each) write nothing.
        None plays without memory: no store, or the id belongs to someone who is not a web player.
        The row goes through the engine's outbox: a store that refuses writes now (a lock, a full
        disk) gets it later, before this scene's attempt, so no attempt is lost for want of it."""
        if self.engine.store is None:
            return None
        if self._remembered:
            return self.player_id
        if not await self.engine.web_player_row(self.player_id, self.given_name):
            self.log.warning("player_id_not_web", event_type="memory_unavailable")
            return None
        self._remembered = True
        return self.player_id

    async def _end_scene(self) -> None:
        """Close the scene; its attempt is recorded (``quit`` unless it ended) before this returns."""
        session, self.session = self.session, None
        pump, self._pump = self._pump, None
        self._awaiting, self._turn_open = None, False
        if session is not None:
            await session.close()
        if pump is not None:
            await asyncio.gather(pump, return_exceptions=True)  # the pump ends with the session's events
        if session is not None:
            try:
                async with asyncio.timeout(MEMORY_TIMEOUT):
                    await self.engine.recorded(session)
            except TimeoutError:
                count_error("memory_write")
                self.log.error("memory_write_failed", error="timeout")

    async def close(self) -> None:
        """End the scene (its attempt is recorded as quit unless it ended) and drop the link."""
        if self.closed:
            return
        self.closed = True
        await self._end_scene()
        self.link = None

    # --- events out ---------------------------------------------------------------------------
    async def _run_pump(self, session: Session, subscription: AsyncIterator[ev.Event]) -> None:
        structlog.contextvars.bind_contextvars(session_id=self.log_id)  # this task's own context
        try:
            async for event in subscription:
                if self.session is not session:
                    continue  # the scene was left or restarted: its last events are not the page's any more
                try:
                    self._measure(session, event)
                    await self._deliver(event)
                    if not isinstance(event, UNSAVED):
                        self.mark_changed(CLOCK if isinstance(event, ev.StateChanged) else TURN)
                except Exception:  # one bad event must not silence the rest of the scene
                    count_error("ws_delivery")
                    self.log.exception("event_delivery_failed", event_kind=type(event).__name__)
        except Exception:  # the pump itself broke: report it (it is gathered quietly on close)
            count_error("ws_pump")
            self.log.exception("event_pump_failed")

    async def _deliver(self, event: ev.Event) -> None:
        if isinstance(event, ev.AudioChunk):
            link = self.link
            if link is not None and self.voice:
                await link.send_bytes(protocol.encode_audio(event))
            return
        patch = self.view.feed(event)
        body = protocol.player_view(event)
        if body is not None:
            if patch:
                body["view"] = patch
            await self.send(protocol.dumps(body))

    def _measure(self, session: Session, event: ev.Event) -> None:
        self._judge_turn(event)
        if self._awaiting is None:
            return
        if isinstance(event, ev.LineStarted) and event.cue in ("reply", "control"):
            self._reply_line = event.line_id
        elif isinstance(event, ev.LineDelta) and event.line_id == self._reply_line:
            RESPONSE_SECONDS.labels(session.scene.id).observe(time.perf_counter() - self._awaiting)
            self._awaiting = self._reply_line = None
        elif isinstance(event, ev.GameOver):
            self._awaiting = None

    def _judge_turn(self, event: ev.Event) -> None:
        """Count a turn the player saw fail, once: its reply was a stand-in or cut short, or the
        turn ended in TurnFailed. The turn's reply is the first reply/control line after it."""
        if not self._turn_open:
            return
        if isinstance(event, ev.LineStarted) and event.cue in ("reply", "control"):
            if self._turn_line is None:
                self._turn_line = event.line_id
        elif isinstance(event, ev.LineFinished) and event.line_id == self._turn_line:
            self._turn_open = False
            if event.failed:
                PLAYER_VISIBLE_ERRORS.labels("actor_failed").inc()
        elif isinstance(event, ev.TurnFailed):
            self._turn_open = False
            PLAYER_VISIBLE_ERRORS.labels("turn_failed").inc()
        elif isinstance(event, ev.GameOver):
            self._turn_open = False

