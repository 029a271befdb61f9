// The browser game. Renders engine events (always as text, never as HTML) and sends commands.
import { Connection } from "./connection.js";
import { PcmPlayer } from "./audio.js";

const $ = (id) => document.getElementById(id);
const player = new PcmPlayer();
const state = { cast: {}, lines: new Map(), speaking: null, controls: [], keys: {}, paused: false, over: false };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function number(value) {
  return Number.isInteger(value) ? String(value) : Number(value).toFixed(1);
}

// --- notices ---------------------------------------------------------------------------------
function notify(message, level = "info", hint = null) {
  const box = el("div", `notice ${level}`);
  box.append(el("span", null, message));
  if (hint) box.append(el("span", "hint", hint));
  $("notices").append(box);
  setTimeout(() => box.remove(), level === "error" ? 9000 : 5000);
}

function setStatus(kind, text) {
  $("status").dataset.state = kind;
  $("status").textContent = text;
}

// --- views ----------------------------------------------------------------------------------------
function showPicker() {
  $("stage").hidden = true;
  $("overlay").hidden = true;
  $("picker").hidden = false;
  loadScenes();
}

function showStage() {
  $("picker").hidden = true;
  $("stage").hidden = false;
}

async function loadScenes() {
  const list = $("scenes");
  try {
    const response = await fetch("/api/scenes");
    const body = await response.json();
    list.replaceChildren();
    if (!body.scenes.length) list.append(el("li", "muted", "No scenes are installed on this server."));
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
    list.replaceChildren(el("li", "muted", "Could not load the scenes; retrying when the connection is back."));
  }
}

function startScene(id) {
  if (!connection.send({ type: "start", scene: id })) notify("Not connected yet: try again in a moment.", "warning");
}

// --- the scene -----------------------------------------------------------------------------------
// Every rule (danger levels, countdown text, key map, end-of-scene rows) comes from the server's
// view (digital_actors/view.py): frames carry a `view` patch, snapshots the whole view.
function renderScene(view) {
  state.cast = view.cast || {};
  state.lines.clear();
  state.over = false;
  $("scene-title").textContent = view.title;
  $("scene-tagline").textContent = view.tagline || "";
  $("role").textContent = view.role ? `You are ${view.role}.` : "";
  $("performer").textContent = `Performer: ${view.performer}`;
  $("transcript").replaceChildren();
  $("suggestions").replaceChildren();
  $("overlay").hidden = true;
  renderPhase(view.phase);
  applyView(view);
  showStage();
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

function renderControls(controls) {
  state.controls = controls;
  const box = $("controls");
  box.replaceChildren();
  for (const c of controls) {
    const wrap = el("div", "control");
    const button = el("button", "control-button");
    button.type = "button";
    button.disabled = !c.available || state.over;
    button.append(el("kbd", null, c.key), el("span", null, c.label));
    if (c.uses_left !== null) button.append(el("span", "uses", `×${c.uses_left}`));
    button.addEventListener("click", () => press(c.id));
    wrap.append(button);
    if (!c.available && c.reason) wrap.append(el("span", "reason", c.reason));
    box.append(wrap);
  }
}

function press(id) {
  player.unlock();
  connection.send({ type: "press", control: id });
}

function renderSuggestions(items) {
  const box = $("suggestions");
  box.replaceChildren();
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
  const log = $("transcript");
  const pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(row);
  if (pinned) log.scrollTop = log.scrollHeight;
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
  body.textContent = frame.text + (frame.interrupted ? " —" : "");
  body.classList.remove("speaking");
  if (frame.interrupted) {
    body.parentElement.classList.add("cut");
    player.stop(frame.line_id);
  }
  state.lines.delete(frame.line_id);
  if (state.speaking === frame.line_id) state.speaking = null;
}

function gameOver(over) {
  state.over = true;
  renderControls(state.controls);
  $("over-kind").textContent = over.kind === "success" ? "You made it" : "It is over";
  $("over-kind").dataset.kind = over.kind;
  $("over-title").textContent = over.title;
  $("over-epilogue").textContent = over.epilogue || "";
  const stats = $("over-stats");
  stats.replaceChildren();
  for (const [label, value] of over.rows || []) stats.append(el("dt", null, label), el("dd", "mono", value));
  $("overlay").hidden = false;
  $("retry").focus();
}

function setPaused(paused) {
  state.paused = paused;
  $("pause").textContent = paused ? "Resume" : "Pause";
  $("stage").classList.toggle("paused", paused);
}

function apply(frame) {
  switch (frame.type) {
    case "SceneStarted": renderScene(frame.view); return;
    case "PhaseChanged": renderPhase(frame.title); entry("phase", null, frame.title); break;
    case "PlayerSaid": entry("you", "You", frame.text); renderSuggestions([]); player.stop(null); break;
    case "AudioFinished": if (frame.interrupted) player.stop(frame.line_id); break;
    case "LineStarted": lineStarted(frame.line_id, frame.speaker, frame.speaker_name); break;
    case "LineDelta": {
      const body = state.lines.get(frame.line_id);
      if (body) body.textContent += frame.text;
      break;
    }
    case "LineFinished": lineFinished(frame); break;
    case "Narration": entry(`narration ${frame.kind}`, null, frame.text); break;
    case "Suggestions": renderSuggestions(frame.items); break;
    case "TurnFailed": notify(frame.message, "warning", frame.hint); break;
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

function restore(snapshot) {
  player.stop(null);
  const view = snapshot.view;
  showName(snapshot.name || view.name);
  if (!view.started) {
    showPicker();
    return;
  }
  renderScene(view);
  for (const e of view.transcript) renderEntry(e);
  if (view.line) lineStarted(view.line.line_id, view.line.speaker, view.line.who, view.line.text);
  renderSuggestions(view.suggestions || []);
  setPaused(view.paused);
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

const connection = new Connection({
  onFrame: apply,
  onAudio: (data) => player.play(data),
  onStatus: setStatus,
  onSessionLost: (why) => { notify(`Session ended: ${why}.`, "warning"); showPicker(); },
});

function bind() {
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); say($("say").value); });
  $("interrupt").addEventListener("click", interrupt);
  $("name-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("name").value.trim();
    if (name && !connection.send({ type: "name", name })) notify("Not connected: try again in a moment.", "warning");
  });
  $("retry").addEventListener("click", () => { $("overlay").hidden = true; connection.send({ type: "restart" }); });
  $("other").addEventListener("click", showPicker);
  $("leave").addEventListener("click", showPicker);
  $("pause").addEventListener("click", () => connection.send({ type: state.paused ? "resume" : "pause" }));
  $("sound").addEventListener("click", () => {
    player.enabled = !player.enabled;
    if (player.enabled) player.unlock(); else player.stop(null);
    $("sound").setAttribute("aria-pressed", String(player.enabled));
    $("sound").textContent = player.enabled ? "Sound on" : "Sound off";
    connection.send({ type: "settings", voice: player.enabled });
  });
  // Browsers only let audio start after a gesture: unlock on the first one.
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, () => player.unlock(), { once: true });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("stage").hidden) { interrupt(); return; }
    const typing = event.target instanceof HTMLInputElement;
    if (typing || $("stage").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const id = (state.keys || {})[event.key];
    const control = state.controls.find((c) => c.id === id);
    if (control && control.available && !state.over) press(control.id);
  });
}

bind();
loadScenes();
connection.connect();
