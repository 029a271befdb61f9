// The browser game. Renders engine events (always as text, never as HTML) and sends commands.
// Every rule (danger levels, countdown text, key map, end-of-scene rows, the hint) comes from the
// server's view (digital_actors/view.py): frames carry a `view` patch, snapshots the whole view.
import { Connection } from "./connection.js";
import { PcmPlayer, parseAudioFrame } from "./audio.js";
import { Reveal } from "./reveal.js";
import { bindCloseButtons, closeDialog, confirmDialog, openDialog, topDialog, trapTab } from "./dialogs.js";
import { MemoryPanel } from "./memory.js";
import { applyTheme, loadPrefs, savePrefs, serverSettings, themeOf } from "./prefs.js";
import { Follower, download, transcriptText } from "./transcript.js";

const $ = (id) => document.getElementById(id);
const player = new PcmPlayer();
const reveal = new Reveal(player);
const prefs = loadPrefs();
// inScene: a scene of this page is on the stage (frames of a scene that was left are ignored).
const state = { cast: {}, lines: new Map(), speaking: null, controls: [], keys: {}, paused: false, over: null,
  inScene: false, title: "", autoPaused: false, refused: null, refusedTimer: null };
const follow = new Follower($("transcript"), $("jump"));
const touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function number(value) {
  return Number.isInteger(value) ? String(value) : Number(value).toFixed(1);
}

// --- notices: in the page's flow under the bar, so they push the transcript and cover nothing --
function notify(message, level = "info", hint = null) {
  const box = el("div", `notice ${level}`);
  box.append(el("span", null, message));
  if (hint) box.append(el("span", "hint", hint));
  const area = $("notices");
  area.append(box);
  while (area.children.length > 2) area.firstElementChild.remove();
  setTimeout(() => box.remove(), level === "error" ? 9000 : 6000);
}

function setStatus(kind, text) {
  $("status").dataset.state = kind;
  $("status").querySelector(".status-text").textContent = text;
}

// --- views ----------------------------------------------------------------------------------------
function showPicker() {
  reveal.clear();
  state.inScene = false;
  state.over = null;
  closeDialog($("ending"), "away");
  $("stage").hidden = true;
  $("picker").hidden = false;
  $("main").classList.remove("playing");
  $("main").scrollTop = 0;
  loadScenes();
}

function showStage() {
  $("picker").hidden = true;
  $("stage").hidden = false;
  $("main").classList.add("playing");
  $("main").scrollTop = 0;
  window.scrollTo(0, 0);
}

async function loadScenes() {
  const list = $("scenes");
  try {
    const response = await fetch("/api/scenes");
    const body = await response.json();
    list.replaceChildren();
    if (!body.scenes.length) list.append(el("li", "muted", "No scenes can be played here yet."));
    for (const scene of body.scenes) {
      const button = el("button", "scene-card");
      button.type = "button";
      button.append(el("span", "scene-title", scene.title));
      if (scene.tagline) button.append(el("span", "scene-tagline", scene.tagline));
      const category = scene.category.charAt(0).toUpperCase() + scene.category.slice(1);
      button.append(el("span", "scene-meta", `${category} · ${number(scene.minutes)} min`));
      button.addEventListener("click", () => startScene(scene.id));
      const item = el("li");
      item.append(button);
      list.append(item);
    }
  } catch {
    list.replaceChildren(el("li", "muted", "The scenes could not be loaded; they will appear when the connection is back."));
  }
}

function startScene(id) {
  player.unlock();
  if (!connection.send({ type: "start", scene: id })) notify("Not connected yet: try again in a moment.", "warning");
}

// --- the scene -----------------------------------------------------------------------------------
function renderScene(view) {
  state.cast = view.cast || {};
  reveal.clear();
  state.lines.clear();
  state.over = null;
  state.inScene = true;
  state.title = view.title;
  $("scene-title").textContent = view.title;
  $("scene-tagline").textContent = view.tagline || "";
  $("role").textContent = view.role ? `You are ${view.role}.` : "Your part";
  $("transcript").replaceChildren();
  $("suggestions").replaceChildren();
  closeDialog($("ending"), "away");
  $("ended").hidden = true;
  $("composer").hidden = false;
  renderPhase(view.phase);
  setPaused(Boolean(view.paused));
  applyView(view);
  showStage();
  follow.reset();
}

function applyView(view) {
  if (view.gauges) renderGauges(view.gauges);
  if (view.clock !== undefined) {
    $("clock").textContent = view.clock;
    $("clock").classList.toggle("urgent", Boolean(view.urgent));
  }
  if (view.keys) state.keys = view.keys;
  if (view.controls) renderControls(view.controls);
  if (view.over) gameOver(view.over);
  if (view.name) showName(view.name);
}

function renderPhase(title) {
  $("phase").textContent = title || "";
  $("phase").hidden = !title;
}

function renderGauges(gauges) {
  const box = $("gauges");
  box.replaceChildren();
  for (const g of gauges) {
    const gauge = el("div", `gauge${g.level === "danger" ? " danger" : g.level === "warning" ? " warning" : ""}`);
    const head = el("div", "gauge-head");
    head.append(el("span", "gauge-label", g.label), el("span", "gauge-value mono", g.text));
    gauge.append(head);
    if (g.show === "gauge") {
      const track = el("div", "track");
      const fill = el("div", "fill");
      fill.style.width = `${g.fraction * 100}%`;
      track.append(fill);
      gauge.append(track);
    }
    box.append(gauge);
  }
}

// A control that cannot be used now stays pressable (aria-disabled): pressing it makes the scene
// say why, as in the terminal game. Only the end of the scene disables every control.
function renderControls(controls) {
  state.controls = controls;
  const box = $("controls");
  box.replaceChildren();
  for (const c of controls) {
    const button = el("button", "control-button");
    button.type = "button";
    button.dataset.control = c.id;
    if (state.refused === c.id && !c.available) button.classList.add("refused");
    button.disabled = Boolean(state.over);
    if (!c.available) button.setAttribute("aria-disabled", "true");
    const label = el("span", "control-label");
    label.append(el("kbd", null, c.key), el("span", null, c.label));
    if (c.uses_left !== null) label.append(el("span", "uses", `×${c.uses_left}`));
    button.append(label);
    if (!c.available && c.reason) {
      button.append(el("span", "reason", c.reason)); // one line here; pressing says it in full
      button.title = c.reason;
    }
    if (c.key) button.setAttribute("aria-keyshortcuts", c.key);
    button.addEventListener("click", () => press(c.id));
    box.append(button);
  }
}

function press(id) {
  if (state.over) return;
  player.unlock();
  const control = state.controls.find((c) => c.id === id);
  if (control && !control.available) {
    // Shown on the button for a moment (and kept when the refusal re-renders the controls).
    clearTimeout(state.refusedTimer);
    state.refused = id;
    state.refusedTimer = setTimeout(() => { state.refused = null; renderControls(state.controls); }, 900);
    renderControls(state.controls);
  }
  // The server narrates a refusal with its reason (the view's controls carry it too).
  connection.send({ type: "press", control: id });
}

function renderSuggestions(items) {
  const box = $("suggestions");
  box.replaceChildren();
  if (!prefs.suggestions) return;
  for (const text of items) {
    const button = el("button", "suggestion ghost", text);
    button.type = "button";
    button.addEventListener("click", () => say(text));
    box.append(button);
  }
}

function entry(kind, who, text) {
  const row = el("div", `entry ${kind}`);
  if (who) row.append(el("span", "who", who));
  const body = el("span", "text", text);
  row.append(body);
  $("transcript").append(row); // the follower sees it (a mutation observer) and keeps it in view
  return body;
}

// A transcript entry of the view (a snapshot): the same look as the live events give.
function renderEntry(e) {
  if (e.kind === "you") entry("you", "You", e.text);
  else if (e.kind === "actor") {
    const body = entry("actor", e.who, e.text + (e.cut ? " —" : ""));
    if (e.cut) body.parentElement.classList.add("cut");
  } else if (e.kind === "phase") entry("phase", null, e.text);
  else if (e.kind === "problem") entry("narration system", null, e.text);
  else entry(`narration ${e.narration}`, null, e.text);
}

function lineStarted(lineId, speaker, name, text = "") {
  const body = entry("actor", name || state.cast[speaker] || speaker, text);
  body.classList.add("speaking");
  state.lines.set(lineId, body);
  state.speaking = lineId;
}

function lineFinished(frame) {
  let body = state.lines.get(frame.line_id);
  if (!body) {
    if (!frame.text && !frame.interrupted) return;
    body = entry("actor", state.cast[frame.speaker] || frame.speaker, "");
  }
  // A voiced line keeps showing what has been heard; its audio finishing shows the rest.
  if (!reveal.finish(frame.line_id, frame.text, frame.interrupted) && !reveal.voiced(frame.line_id)) {
    body.textContent = frame.text + (frame.interrupted ? " —" : "");
  }
  body.classList.remove("speaking");
  if (frame.interrupted) {
    body.parentElement.classList.add("cut");
    player.stop(frame.line_id);
  }
  state.lines.delete(frame.line_id);
  if (state.speaking === frame.line_id) state.speaking = null;
}

// --- the ending -----------------------------------------------------------------------------------
function gameOver(over) {
  if (!state.inScene) return;
  const first = !state.over;
  state.over = over;
  renderControls(state.controls);
  $("over-kind").textContent = over.kind === "success" ? "You made it" : "It is over";
  $("over-kind").dataset.kind = over.kind;
  $("over-title").textContent = over.title;
  $("over-epilogue").textContent = over.epilogue || "";
  $("over-epilogue").hidden = !over.epilogue;
  $("over-hint-text").textContent = over.hint || "";
  $("over-hint").hidden = !(over.kind === "failure" && over.hint);
  const stats = $("over-stats");
  stats.replaceChildren();
  for (const [label, value] of over.rows || []) stats.append(el("dt", null, label), el("dd", "mono", value));
  $("composer").hidden = true;
  $("ended").hidden = false;
  if (first) showEnding();
}

function showEnding() {
  if (!state.over) return;
  openDialog($("ending"), {
    focus: $("retry"),
    // Esc or "Read the transcript": back to the scene, to read it (the log takes focus).
    onClose: (value) => { if (value !== "away" && state.inScene) $("transcript").focus(); },
  });
}

// --- pausing ---------------------------------------------------------------------------------------
function setPaused(paused) {
  state.paused = paused;
  $("pause").textContent = paused ? "Resume" : "Pause";
  $("stage").classList.toggle("paused", paused);
}

function togglePause() {
  if (!state.inScene || state.over) return;
  connection.send(state.paused ? { type: "resume", snapshot: false } : { type: "pause" });
}

// Windows over a running scene pause its clock and resume it when they close (as in the terminal).
function openOver(dialog, onClose = null) {
  const running = state.inScene && !state.over && !$("stage").hidden;
  if (running && !state.paused && !topDialog()) {
    state.autoPaused = true;
    connection.send({ type: "pause" });
  }
  openDialog(dialog, {
    onClose: (value) => {
      if (onClose) onClose(value);
      if (topDialog()) return;
      if (state.autoPaused) {
        state.autoPaused = false;
        connection.send({ type: "resume", snapshot: false });
      }
      focusInput();
    },
  });
}

function focusInput() {
  if (topDialog()) return;
  if (state.inScene && !state.over && !$("stage").hidden) {
    if (!touch) $("say").focus({ preventScroll: true });
  } else if (state.inScene && state.over) {
    $("transcript").focus({ preventScroll: true });
  }
}

// --- frames -----------------------------------------------------------------------------------------
const OUTSIDE_A_SCENE = new Set(["SceneStarted", "Snapshot", "Error", "Notice", "PlayerNamed", "Welcome"]);

function apply(frame) {
  if (!state.inScene && !OUTSIDE_A_SCENE.has(frame.type)) return; // the last words of a scene that was left
  switch (frame.type) {
    case "SceneStarted": renderScene(frame.view); focusInput(); return;
    case "PhaseChanged": renderPhase(frame.title); entry("phase", null, frame.title); break;
    case "PlayerSaid": entry("you", "You", frame.text); renderSuggestions([]); player.stop(null); break;
    case "AudioFinished":
      if (frame.interrupted) player.stop(frame.line_id);
      reveal.done(frame.line_id, frame.interrupted);
      break;
    case "LineStarted":
      lineStarted(frame.line_id, frame.speaker, frame.speaker_name);
      reveal.start(frame.line_id, state.lines.get(frame.line_id), frame.voiced);
      break;
    case "SpeechStarted": reveal.sentence(frame.line_id, frame.text); break;
    case "LineDelta": {
      const body = state.lines.get(frame.line_id);
      if (reveal.lines.has(frame.line_id)) reveal.delta(frame.line_id, frame.text);
      else if (body) body.textContent += frame.text;
      break;
    }
    case "LineFinished": lineFinished(frame); break;
    case "Narration": entry(`narration ${frame.kind}`, null, frame.text); break;
    case "Suggestions": renderSuggestions(frame.items); break;
    case "TurnFailed": entry("narration system", null, frame.message); break;
    case "Notice": notify(frame.message, frame.level); break;
    case "Paused": setPaused(frame.paused); break;
    case "Error": notify(frame.message, "error", frame.hint); break;
    case "Snapshot": restore(frame); return;
    case "PlayerNamed": showName(frame.name); break;
    default: break;
  }
  if (frame.view) applyView(frame.view);
}

function showName(name) {
  if (!name) return;
  if (document.activeElement !== $("name")) $("name").value = name;
  $("name-status").textContent = `The characters will call you ${name}.`;
}

// A reconnect or a reload: the page rebuilds itself from the whole view, at the newest line unless
// the player had scrolled up to read.
function restore(snapshot) {
  player.stop(null);
  const view = snapshot.view;
  showName(snapshot.name || view.name);
  if (!view.started) {
    if (state.inScene || $("picker").hidden) showPicker();
    return;
  }
  const log = $("transcript");
  const wasPinned = follow.pinned || $("stage").hidden;
  const readingAt = log.scrollTop;
  renderScene(view);
  for (const e of view.transcript) renderEntry(e);
  if (view.line) lineStarted(view.line.line_id, view.line.speaker, view.line.who, view.line.text);
  renderSuggestions(view.suggestions || []);
  setPaused(view.paused);
  if (wasPinned) follow.reset();
  else {
    follow.pinned = false;
    log.scrollTop = readingAt;
  }
  if (!view.over) focusInput();
}

// --- input ------------------------------------------------------------------------------------
function say(text) {
  const clean = text.trim();
  if (!clean) return;
  player.unlock();
  if (state.speaking) player.stop(state.speaking);
  if (connection.send({ type: "say", text: clean })) $("say").value = "";
  else notify("Not connected: your words were not sent.", "warning");
}

function interrupt() {
  player.stop(state.speaking);
  connection.send({ type: "interrupt" });
}

async function leave() {
  if (state.inScene && !state.over) {
    const yes = await ask({ title: "Leave this scene?", yes: "Leave the scene",
      text: "The scene ends now and counts as left early. You can start it again from the scene list." });
    if (!yes) return;
  }
  player.stop(null);
  closeDialog($("ending"), "away");
  state.inScene = false;
  connection.send({ type: "leave" });
  showPicker();
  const first = $("scenes").querySelector("button");
  (first || $("name")).focus();
}

async function restart() {
  if (state.inScene && !state.over) {
    const yes = await ask({ title: "Start again from the top?", yes: "Start again",
      text: "This attempt ends now and counts as left early." });
    if (!yes) return;
  }
  retry();
}

function retry() {
  player.stop(null);
  closeDialog($("ending"), "away");
  connection.send({ type: "restart" });
}

// A yes/no question over a running scene pauses it while it is asked.
function ask(question) {
  const running = state.inScene && !state.over && !state.paused;
  if (running) connection.send({ type: "pause" });
  return confirmDialog(question).then((yes) => {
    if (running && (!yes || !state.inScene)) connection.send({ type: "resume", snapshot: false });
    if (!yes) focusInput();
    return yes;
  });
}

function saveTranscript() {
  const day = new Date().toISOString().slice(0, 10);
  const slug = (state.title || "scene").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "scene";
  download(`digital-actors-${slug}-${day}.txt`, transcriptText($("transcript"), state.title));
}

// --- settings -----------------------------------------------------------------------------------
function showSettings() {
  $("set-voice").checked = prefs.voice;
  $("set-volume").value = String(Math.round(prefs.volume * 100));
  $("volume-text").textContent = `${Math.round(prefs.volume * 100)}%`;
  $("set-speed").value = prefs.textSpeed;
  $("set-suggestions").checked = prefs.suggestions;
  for (const radio of document.querySelectorAll("input[name=theme]")) radio.checked = radio.value === themeOf(prefs);
  openOver($("settings"));
}

function settingChanged() {
  prefs.voice = $("set-voice").checked;
  prefs.volume = Number($("set-volume").value) / 100;
  prefs.textSpeed = $("set-speed").value;
  prefs.suggestions = $("set-suggestions").checked;
  const theme = document.querySelector("input[name=theme]:checked");
  if (theme) prefs.theme = theme.value;
  savePrefs(prefs);
  applyPrefs();
  connection.send(serverSettings(prefs));
}

function applyPrefs() {
  applyTheme(themeOf(prefs));
  player.volume = prefs.volume;
  $("volume-text").textContent = `${Math.round(prefs.volume * 100)}%`;
  if (player.enabled !== prefs.voice) {
    player.enabled = prefs.voice;
    if (player.enabled) player.unlock(); else player.stop(null);
  }
  if (!prefs.suggestions) renderSuggestions([]);
}

// --- keys (the same as the terminal game where a browser allows: Esc pauses, F4 interrupts) --------
function onKey(event) {
  if (topDialog()) { trapTab(event); return; }
  if ($("stage").hidden || !state.inScene) return;
  if (event.key === "Escape") { event.preventDefault(); togglePause(); return; }
  if (event.key === "F4") { event.preventDefault(); interrupt(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return;
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
    || target instanceof HTMLSelectElement;
  // "I have 2 kids" must type normally: a digit presses a control only while the input is empty.
  if (typing && !(target === $("say") && target.value === "")) return;
  const id = state.keys[event.key];
  if (!id || state.over) return;
  event.preventDefault();
  press(id);
}

// --- wiring ---------------------------------------------------------------------------------------
const connection = new Connection({
  onFrame: apply,
  onAudio: (data) => {
    if (!state.inScene) return;
    const frame = parseAudioFrame(data);
    if (frame) reveal.audio(frame.lineId, data);
  },
  onStatus: setStatus,
  onOpen: () => connection.send(serverSettings(prefs)),
  onSessionLost: (why) => { notify(why, "warning"); player.stop(null); showPicker(); },
});

const memory = new MemoryPanel({
  request: (path, method) => connection.request(path, method),
  onForgotEverything: () => {
    $("name").value = "";
    $("name-status").textContent = "";
  },
});

function bind() {
  bindCloseButtons();
  player.onactivity = (playing) => { $("voice-playing").hidden = !playing; document.body.dataset.audio = playing ? "playing" : "idle"; };
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); say($("say").value); });
  $("interrupt").addEventListener("click", interrupt);
  $("name-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("name").value.trim();
    if (name && !connection.send({ type: "name", name })) notify("Not connected: try again in a moment.", "warning");
  });
  $("retry").addEventListener("click", retry);
  $("again").addEventListener("click", retry);
  $("read").addEventListener("click", () => closeDialog($("ending")));
  $("show-ending").addEventListener("click", showEnding);
  $("other").addEventListener("click", leave);
  $("leave").addEventListener("click", leave);
  $("restart").addEventListener("click", restart);
  $("download").addEventListener("click", saveTranscript);
  $("pause").addEventListener("click", togglePause);
  $("open-settings").addEventListener("click", showSettings);
  $("open-help").addEventListener("click", () => openOver($("help")));
  $("open-memory").addEventListener("click", () => { openOver($("memory")); memory.load(); });
  $("settings-form").addEventListener("change", settingChanged);
  $("settings-form").addEventListener("input", (event) => { if (event.target.id === "set-volume") settingChanged(); });
  $("settings-form").addEventListener("submit", (event) => event.preventDefault());
  // Browsers only let audio start after a gesture: unlock on the first one.
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, () => player.unlock(), { once: true });
  document.addEventListener("keydown", onKey);
}

applyPrefs();
document.body.dataset.audio = "idle";
bind();
loadScenes();
connection.connect();
