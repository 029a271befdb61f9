"""The line-mode player (``--plain``): for screen readers, pipes and scripts.

On a terminal, lines stream as they are spoken and input is sent as typed (typing while
the actor speaks interrupts, as the engine defines). From a pipe, each input line is sent
once the previous line has finished, and at end of input the player waits for the
last reply and the scene's state to settle, so piped play is deterministic.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TYPE_CHECKING, TextIO

from digital_actors import events as ev
from digital_actors.errors import VoiceError
from digital_actors.turn.session import Session
from digital_actors.view import PlayerView, ViewReducer, danger_crossings, gauge_line, unlocked

if TYPE_CHECKING:
    from digital_actors.voice.pipeline import AudioSink

HELP = """Type to talk. Commands:
  /controls          list the controls and whether they can be used now
  /press ID, /N      press a control by id or by its key
  /state             show the gauges, phase and time
  /interrupt         cut the actor off
  /pause, /resume    stop or restart the scene clock
  /restart           play the scene again from the top
  /quit              leave (end of input does the same)
  /help              this list"""


class LinePlayer:
    """Renders session events as plain lines and turns input lines into session calls.

    ``audio`` plays AudioChunk events (a TerminalPlayback); it is stopped when the player
    speaks or a line's audio is cut off.
    """

    def __init__(self, session: Session, *, out: TextIO, interactive: bool, audio: AudioSink | None = None) -> None:
        self.session, self.out, self.interactive = session, out, interactive
        self.audio = audio
        self.sub = session.events()
        self.reducer = ViewReducer()
        self._open_line: str | None = None
        self._gauges: tuple[ev.GaugeView, ...] = ()      # as last announced: crossings are counted from here
        self._controls: tuple[ev.ControlView, ...] = ()

    @property
    def view(self) -> PlayerView:
        return self.reducer.view

    @property
    def over(self) -> ev.GameOver | None:
        return self.view.over

    def write(self, text: str = "") -> None:
        if self._open_line is not None:
            self.out.write("\n")
            self._open_line = None
        self.out.write(text + "\n")
        self.out.flush()

    async def render(self) -> None:
        async for event in self.sub:
            self.show(event)

    def show(self, event: ev.Event) -> None:
        parts = self.reducer.feed(event)
        if isinstance(event, ev.SceneStarted):
            self._gauges, self._controls = event.gauges, event.controls
            self.write(f"=== {event.title} ===")
            if event.tagline:
                self.write(event.tagline)
            self.write(f"You are {event.player_role}.")
            self.write(f"(performer: {event.performer}; difficulty: {event.difficulty}; /help for commands)")
            self.write(self._controls_line())
            if event.gauges:
                self.write(f"Gauges: {gauge_line(event.gauges)}  (\"!\": in danger; /state shows them)")
        elif isinstance(event, ev.LineStarted):
            if self.interactive:
                self.write_partial(f"{event.speaker_name}: ")
                self._open_line = event.line_id
        elif isinstance(event, ev.LineDelta):
            if self.interactive and self._open_line == event.line_id:
                self.out.write(event.text)
                self.out.flush()
        elif isinstance(event, ev.LineFinished):
            cut = " —" if event.interrupted else ""
            if self.interactive and self._open_line == event.line_id:
                self.out.write(cut + "\n")
                self.out.flush()
                self._open_line = None
            elif event.text or cut:
                name = self.session.scene.cast[event.speaker].name
                self.write(f"{name}: {event.text}{cut}")
        elif isinstance(event, ev.PlayerSaid):
            if not self.interactive:
                self.write(f"> {event.text}")
        elif isinstance(event, ev.Narration):
            self.write(f"* {event.text}")
        elif isinstance(event, ev.PhaseChanged):
            self.write(f"--- {event.title} ---")
        elif "gauges" in parts:
            self._warn_danger()
        elif isinstance(event, ev.ControlsChanged):
            self._announce_unlocked()
        elif isinstance(event, ev.Suggestions):
            if self.interactive:
                self.write("  (you could say: " + " | ".join(event.items) + ")")
        elif isinstance(event, ev.GameOver):
            self.write(f"*** {event.title} ({event.kind}) ***")
            if event.epilogue:
                self.write(event.epilogue)
            if event.hint:
                self.write(f"Hint: {event.hint}")
            self.write(f"(scene time {event.elapsed:.0f} s — /restart to play again, /quit to leave)")
        elif isinstance(event, ev.TurnFailed):
            self.write(f"! {event.message}" + (f" ({event.hint})" if event.hint else ""))
        elif isinstance(event, ev.Notice):
            self.write(f"! {event.message}")
        elif isinstance(event, ev.Paused):
            self.write("* (paused — /resume to go on)" if event.paused else "* (resumed)")

    def _play(self, event: ev.Event) -> None:
        assert self.audio is not None
        try:
            if isinstance(event, ev.AudioChunk):
                self.audio.write(event.pcm, event.sample_rate)
            elif isinstance(event, ev.PlayerSaid | ev.GameOver) or (
                    isinstance(event, ev.AudioFinished) and event.interrupted):
                self.audio.stop()
        except VoiceError as e:  # no device after all: one notice, then text only
            self.audio = None
            self.write(f"! {e.message}" + (f" ({e.hint})" if e.hint else ""))

    def write_partial(self, text: str) -> None:
        if self._open_line is not None:
            self.out.write("\n")
        self.out.write(text)
        self.out.flush()

    def _warn_danger(self) -> None:
        """One compact gauge line when a value crosses its danger mark, either way (not on every tick)."""
        into, out = danger_crossings(self._gauges, self.view.gauges)
        self._gauges = self.view.gauges
        if into:
            self.write(f"* WARNING: {gauge_line(self.view.gauges)}")
        elif out:
            self.write(f"* Safe again: {gauge_line(self.view.gauges)}")

    def _announce_unlocked(self) -> None:
        """A control that was locked can be pressed now (not a cooldown ending): say so, with the gauges."""
        opened = unlocked(self._controls, self.view.controls)
        self._controls = self.view.controls
        for c in opened:
            how = f"/{c.key}" if c.key else f"/press {c.id}"
            gauges = f" | {gauge_line(self.view.gauges)}" if self.view.gauges else ""
            self.write(f"* Now you can use {how} {c.label}{gauges}")

    def _gauge_line(self) -> str:
        return gauge_line(self.view.gauges) or "no gauges"

    def _controls_line(self) -> str:
        if not self.view.controls:
            return "(no controls in this scene)"
        parts = []
        for c in self.view.controls:
            key = f"/{c.key} " if c.key else ""
            state = "" if c.available else f" — {c.reason}"
            parts.append(f"{key}{c.label} [{c.id}]{state}")
        return "Controls: " + "; ".join(parts)

    def state_text(self) -> str:
        """Phase and gauges; on a terminal also the scene time (piped play prints no wall-clock
        figure, so the same input gives the same transcript)."""
        text = f"{self.view.phase} · {self._gauge_line()}"
        return f"{text} · {self.view.elapsed:.0f} s" if self.interactive else text

    async def handle(self, line: str) -> bool:
        """Act on one input line. Returns False when the player asked to quit."""
        text = line.strip()
        if not text:
            return True
        if not text.startswith("/"):
            await self.session.say(text)
            return True
        command, _, arg = text[1:].partition(" ")
        command, arg = command.lower(), arg.strip()
        by_key = self.view.keys
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.write(HELP)
        elif command == "controls":
            self.write(self._controls_line())
        elif command == "state":
            self.write(self.state_text())
        elif command == "press" and arg:
            await self.session.press(by_key.get(arg, arg))
        elif command in by_key:
            await self.session.press(by_key[command])
        elif command == "interrupt":
            await self.session.interrupt()
        elif command == "pause":
            self.session.pause()
        elif command == "resume":
            self.session.resume()
        elif command == "restart":
            await self.session.restart()
        else:
            self.write(f"! unknown command '/{command}' — /help lists them")
        return True


def _stdin_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines from a blocking stream via a daemon thread (never holds up the exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="stdin-reader", daemon=True).start()
    return queue


async def play_lines(session: Session, *, inp: TextIO | None = None, out: TextIO | None = None,
                     interactive: bool | None = None, audio: AudioSink | None = None) -> LinePlayer:
    """Play ``session`` in line mode until /quit or end of input. Closes the session."""
    inp = inp or sys.stdin
    out = out or sys.stdout
    if interactive is None:
        interactive = inp.isatty()
    player = LinePlayer(session, out=out, interactive=interactive, audio=audio)
    renderer = asyncio.create_task(player.render())
    lines = _stdin_lines(inp)
    try:
        await session.start()
        while True:
            if not interactive:
                await session.settle()
            line = await lines.get()
            if line is None:
                break
            if not interactive:
                await asyncio.sleep(0)
            if not await player.handle(line):
                break
        await session.settle()
    finally:
        await session.close()
        await renderer
        if player.audio is not None:
            player.audio.close()
    if player.over is None and not interactive:
        player.write(f"(input ended — scene left at: {player.state_text()})")
    return player
