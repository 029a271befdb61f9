// Text with its voice. A voiced line (LineStarted.voiced, and this page plays sound) shows each
// sentence when its audio starts playing, so the text never runs more than one sentence ahead of
// what is heard; an unvoiced line streams as the model writes it. The server announces each
// sentence (SpeechStarted) just before its audio frames, so the next chunk played for a line
// starts the sentence announced last.

export class Reveal {
  constructor(player) {
    this.player = player;
    this.lines = new Map(); // line id -> { body, voiced, full, shown, waiting: [texts], timers }
  }

  start(lineId, body, voiced) {
    this.lines.set(lineId, { body, voiced: voiced && this.player.enabled, full: "", shown: "", waiting: [],
                             timers: [] });
  }

  voiced(lineId) {
    const line = this.lines.get(lineId);
    return Boolean(line && line.voiced);
  }

  // A streamed piece of text: shown at once unless the line waits for its voice.
  delta(lineId, text) {
    const line = this.lines.get(lineId);
    if (!line) return;
    line.full += text;
    if (!line.voiced) line.body.textContent = line.full;
  }

  // The next sentence to be heard on this line.
  sentence(lineId, text) {
    const line = this.lines.get(lineId);
    if (line && line.voiced) line.waiting.push(text);
  }

  // An audio frame arrived for this line: play it; its sentence appears when it is heard.
  audio(lineId, buffer) {
    const started = this.player.play(buffer); // the AudioContext time it starts, or null
    const line = this.lines.get(lineId);
    if (!line || !line.voiced || line.waiting.length === 0) return;
    const text = line.waiting.shift();
    const show = () => {
      line.shown = line.shown ? `${line.shown} ${text}` : text;
      line.body.textContent = line.shown;
    };
    const delay = started === null ? 0 : Math.max(0, (started - this.player.now()) * 1000);
    if (delay === 0) show();
    else line.timers.push(setTimeout(show, delay));
  }

  // The line's text is complete (LineFinished): an unvoiced or cut line shows it all now; a
  // voiced one keeps following its voice until the audio is done.
  finish(lineId, text, cut) {
    const line = this.lines.get(lineId);
    if (!line) return false;
    line.full = text;
    if (!line.voiced || cut) {
      this.settle(lineId, cut ? " —" : "");
      return true;
    }
    return false;
  }

  // The line's audio is over (AudioFinished): once the last chunk has played, all its text stands.
  done(lineId, cut) {
    const line = this.lines.get(lineId);
    if (!line) return;
    if (cut) {
      this.settle(lineId, " —");
      return;
    }
    const wait = Math.max(0, (this.player.end() - this.player.now()) * 1000);
    line.timers.push(setTimeout(() => this.settle(lineId, ""), wait));
  }

  settle(lineId, tail) {
    const line = this.lines.get(lineId);
    if (!line) return;
    for (const timer of line.timers) clearTimeout(timer);
    line.body.textContent = line.full + tail;
    this.lines.delete(lineId);
  }

  clear() {
    for (const id of [...this.lines.keys()]) this.settle(id, "");
  }
}
