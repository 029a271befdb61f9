// "What they remember": the player's memory notes from GET /api/memory, each with Forget, and
// Forget everything (DELETE /api/memory[/{id}]). The server words every answer for the player.

import { confirmDialog } from "./dialogs.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class MemoryPanel {
  constructor({ request, onForgotEverything }) {
    this.request = request; // (path, method) => Promise<Response>
    this.onForgotEverything = onForgotEverything;
    this.status = document.getElementById("memory-status");
    this.list = document.getElementById("memory-notes");
    this.forgetAll = document.getElementById("forget-all");
    this.forgetAll.addEventListener("click", () => this.forgetEverything());
  }

  async call(path, method = "GET") {
    let response;
    try {
      response = await this.request(path, method);
    } catch {
      return { ok: false, body: { error: "The game server cannot be reached right now." } };
    }
    let body = {};
    try { body = await response.json(); } catch { body = {}; }
    return { ok: response.ok, status: response.status, body };
  }

  say(text) {
    this.status.textContent = text;
  }

  async load() {
    this.say("Looking…");
    this.list.replaceChildren();
    this.forgetAll.hidden = true;
    const { ok, body } = await this.call("/api/memory");
    if (!ok) { this.say(body.error || "What they remember cannot be read right now."); return; }
    if (!body.available) { this.say(body.message); return; }
    this.render(body.notes);
  }

  render(notes) {
    this.list.replaceChildren();
    this.forgetAll.hidden = notes.length === 0;
    this.say(notes.length ? `${notes.length === 1 ? "One thing" : `${notes.length} things`} remembered about you.`
      : "They remember nothing about you yet.");
    for (const note of notes) {
      const item = el("li", "note");
      const words = el("div", "note-words");
      words.append(el("span", "note-who", note.who), el("span", "note-text", note.text));
      const forget = el("button", "ghost small", "Forget");
      forget.type = "button";
      forget.setAttribute("aria-label", `Forget: ${note.text}`);
      forget.addEventListener("click", () => this.forgetOne(note.id, item));
      item.append(words, forget);
      this.list.append(item);
    }
  }

  async forgetOne(id, item) {
    const { ok, body } = await this.call(`/api/memory/${encodeURIComponent(id)}`, "DELETE");
    if (!ok && body.error !== "That memory is already forgotten.") { this.say(body.error || "Nothing was forgotten."); return; }
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    const left = this.list.children.length;
    this.forgetAll.hidden = left === 0;
    this.say(left ? "Forgotten." : "Forgotten. They remember nothing about you now.");
    (next ? next.querySelector("button") : this.forgetAll.closest("dialog").querySelector("[data-close]")).focus();
  }

  async forgetEverything() {
    const yes = await confirmDialog({
      title: "Forget everything?",
      text: "Every character forgets you: your name, how you treated them and how your scenes ended. This cannot be undone.",
      yes: "Forget everything",
    });
    if (!yes) { this.forgetAll.focus(); return; }
    const { ok, body } = await this.call("/api/memory", "DELETE");
    if (!ok) { this.say(body.error || "Nothing was forgotten."); return; }
    this.render([]);
    this.say("Everything is forgotten. The characters will meet you as a stranger.");
    this.onForgotEverything();
    this.forgetAll.closest("dialog").querySelector("[data-close]").focus();
  }
}
