// Gapless playback of the server's PCM16 stream with the Web Audio API.
// Frames (see web/protocol.py): 0xDA, version 1, line-id length L, line id, seq u32 LE,
// sample rate u32 LE, then PCM16 little-endian mono. Chunks are scheduled back to back;
// playback starts only after a user gesture (browsers require one) and stops on interrupt.

const MAGIC = 0xda;
const VERSION = 1;
const LEAD_IN = 0.03; // seconds of headroom before the first chunk of a burst

export function parseAudioFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 11 || bytes[0] !== MAGIC || bytes[1] !== VERSION) return null;
  const idLength = bytes[2];
  const head = 3 + idLength + 8;
  if (bytes.length < head) return null;
  const lineId = new TextDecoder().decode(bytes.subarray(3, 3 + idLength));
  const view = new DataView(buffer, 3 + idLength, 8);
  const seq = view.getUint32(0, true);
  const sampleRate = view.getUint32(4, true);
  const samples = new Int16Array(buffer.slice(head, head + ((bytes.length - head) & ~1)));
  return { lineId, seq, sampleRate, samples };
}

export class PcmPlayer {
  constructor() {
    this.ctx = null;
    this.gain = null;
    this.enabled = true;
    this.next = 0;
    this.sources = new Set();
    this.cut = [];
    this.level = 1;
    this.onactivity = null; // called with true/false when sound starts or stops playing
  }

  // Call from a user gesture: creates or resumes the AudioContext.
  unlock() {
    if (!this.ctx) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      this.ctx = new Context();
      this.gain = this.ctx.createGain();
      this.gain.gain.value = this.level;
      this.gain.connect(this.ctx.destination);
    }
    if (this.ctx.state === "suspended") this.ctx.resume();
  }

  // 0..1, from the next chunk on (chunks already playing keep the level they started with).
  get volume() {
    return this.level;
  }

  set volume(value) {
    this.level = Math.min(1, Math.max(0, Number(value) || 0));
    if (this.gain) this.gain.gain.value = this.level;
  }

  get playing() {
    return this.sources.size > 0;
  }

  activity() {
    if (this.onactivity) this.onactivity(this.playing);
  }

  get ready() {
    return Boolean(this.ctx) && this.ctx.state === "running";
  }

  // The AudioContext's clock (seconds), and when everything scheduled so far ends.
  now() {
    return this.ctx ? this.ctx.currentTime : 0;
  }

  end() {
    return Math.max(this.next, this.now());
  }

  // Schedules one frame; returns the time it starts (AudioContext seconds), or null if not played.
  play(buffer) {
    const frame = parseAudioFrame(buffer);
    if (!frame || !this.enabled || !this.ready || this.cut.includes(frame.lineId)) return null;
    if (frame.samples.length === 0 || frame.sampleRate < 3000 || frame.sampleRate > 192000) return null;
    const floats = new Float32Array(frame.samples.length);
    for (let i = 0; i < floats.length; i += 1) floats[i] = frame.samples[i] / 32768;
    const audio = this.ctx.createBuffer(1, floats.length, frame.sampleRate);
    audio.copyToChannel(floats, 0);
    const source = this.ctx.createBufferSource();
    source.buffer = audio;
    source.connect(this.gain || this.ctx.destination);
    const start = Math.max(this.next, this.ctx.currentTime + LEAD_IN);
    source.start(start);
    this.next = start + audio.duration;
    this.sources.add(source);
    source.onended = () => {
      this.sources.delete(source);
      this.activity();
    };
    this.activity();
    return start;
  }

  // Stop everything scheduled; chunks still arriving for lineId are dropped.
  stop(lineId) {
    if (lineId) {
      this.cut.push(lineId);
      if (this.cut.length > 50) this.cut.shift();
    }
    for (const source of this.sources) {
      try { source.stop(); } catch { /* already stopped */ }
    }
    this.sources.clear();
    this.next = 0;
    this.activity();
  }
}
