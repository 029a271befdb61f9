// The transcript follows the newest line unless the player has scrolled up to read; then a
// "new lines" button appears and jumps back down. It also turns into a text file to keep.

const SLACK = 24; // px from the bottom that still count as "at the newest line"

export class Follower {
  constructor(log, jump) {
    this.log = log;
    this.jump = jump;
    this.pinned = true;
    this.lastTop = 0;
    // Only the player scrolling up lets go of the newest line: a log that shrinks (suggestions,
    // notices, the phone's keyboard) also moves it off the bottom, and then it goes back down.
    log.addEventListener("scroll", () => {
      const top = log.scrollTop;
      if (this.atBottom()) this.pinned = true;
      else if (top < this.lastTop - 1) this.pinned = false;
      this.lastTop = top;
      if (this.pinned && !this.atBottom()) this.toBottom();
      if (this.pinned) this.jump.hidden = true;
    }, { passive: true });
    // The log changes size when notices, suggestions or the keyboard come and go: stay down.
    if (window.ResizeObserver) new ResizeObserver(() => { if (this.pinned) this.toBottom(); }).observe(log);
    // Anything that changes what the log holds (an entry, a streamed word, the speaking cursor, a line
    // revealed later) is followed, whoever changed it: one call per batch, before the next paint.
    new MutationObserver(() => this.changed()).observe(log, {
      childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["class"],
    });
    jump.addEventListener("click", () => { this.pinned = true; this.toBottom(); });
  }

  atBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight <= SLACK;
  }

  // Anything in the log grew (the mutation observer calls this).
  changed() {
    if (this.pinned) this.toBottom();
    else this.jump.hidden = false;
  }

  toBottom() {
    this.log.scrollTop = this.log.scrollHeight;
    this.lastTop = this.log.scrollTop;
    this.jump.hidden = true;
  }

  // A new scene or a rebuilt log: start at the newest line.
  reset() {
    this.pinned = true;
    this.toBottom();
  }
}

// The transcript as plain text: who said what, narration in brackets, phases as headings.
export function transcriptText(log, title) {
  const lines = [`Digital Actors: ${title}`, new Date().toLocaleString(), ""];
  for (const row of log.querySelectorAll(".entry")) {
    const who = row.querySelector(".who");
    const text = row.querySelector(".text").textContent;
    if (row.classList.contains("phase")) lines.push("", `--- ${text} ---`, "");
    else if (who) lines.push(`${who.textContent}: ${text}`);
    else lines.push(`[${text}]`);
  }
  return lines.join("\n") + "\n";
}

export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
