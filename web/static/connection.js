// The WebSocket link: a session token from POST /api/session, reconnects with exponential
// backoff and jitter, and a "resume" after every (re)connect so the server sends a Snapshot.

const PLAYER_KEY = "digital-actors.player";
const TOKEN_KEY = "digital-actors.token";
const MAX_DELAY = 15000;

function stored(storage, key) {
  try { return storage.getItem(key); } catch { return null; }
}

function store(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key); else storage.setItem(key, value);
  } catch { /* private mode: keep going without persistence */ }
}

export class Connection {
  constructor({ onFrame, onAudio, onStatus, onSessionLost, onOpen }) {
    this.onFrame = onFrame;
    this.onAudio = onAudio;
    this.onStatus = onStatus;
    this.onSessionLost = onSessionLost;
    this.onOpen = onOpen;
    this.ws = null;
    this.attempts = 0;
    this.timer = null;
    this.stopped = false;
  }

  async token() {
    const existing = stored(sessionStorage, TOKEN_KEY);
    if (existing) return existing;
    const response = await fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ player_id: stored(localStorage, PLAYER_KEY) }),
    });
    if (!response.ok) {
      // The server words its refusals for players (busy, too many sessions from this address).
      let said = null;
      try { said = (await response.json()).error; } catch { said = null; }
      throw new Error(said || "The game server is not answering");
    }
    const body = await response.json();
    store(localStorage, PLAYER_KEY, body.player_id);
    store(sessionStorage, TOKEN_KEY, body.token);
    return body.token;
  }

  // An HTTP call as this player (the memory endpoints): the session token as a bearer token.
  async request(path, method = "GET") {
    const token = await this.token();
    return fetch(path, { method, headers: { Authorization: `Bearer ${token}` } });
  }

  async connect() {
    clearTimeout(this.timer);
    this.onStatus("connecting", "Connecting…");
    let token;
    try {
      token = await this.token();
    } catch (error) {
      this.retry(error instanceof TypeError ? "Can't reach the game" : error.message.replace(/\.$/, ""));
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      this.onStatus("online", "Online");
      if (this.onOpen) this.onOpen();
      this.send({ type: "resume" });
    };
    ws.onmessage = (message) => {
      if (typeof message.data === "string") {
        let frame;
        try { frame = JSON.parse(message.data); } catch { return; }
        this.onFrame(frame);
      } else {
        this.onAudio(message.data);
      }
    };
    ws.onclose = (event) => this.closed(ws, event);
  }

  closed(ws, event) {
    if (ws !== this.ws || this.stopped) return;
    this.ws = null;
    // Close reasons are in the player's words (web/wording.py); these are for when there is none.
    if (event.code === 4401) {
      // The session is gone (expired, or the server restarted): start a fresh one.
      store(sessionStorage, TOKEN_KEY, null);
      this.onSessionLost(event.reason || "This link has expired: start a new game.");
      this.attempts = 0;
      this.retry("Starting a new game", 100);
    } else if (event.code === 4403) {
      this.onStatus("refused", event.reason || "This page is not allowed to connect to the game.");
    } else if (event.code === 4409) {
      this.onStatus("refused", "Open in another tab");
    } else {
      this.retry(event.code === 1001 ? "The game server is restarting" : "Connection lost");
    }
  }

  retry(why, delay) {
    const wait = delay ?? Math.min(MAX_DELAY, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts += 1;
    this.onStatus("offline", `${why}; trying again in ${Math.ceil(wait / 1000)} s`);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }
}
