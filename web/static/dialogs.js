// Modal windows on native <dialog>: showModal() makes the rest of the page inert, Esc closes
// (the browser's "cancel"), Tab and Shift+Tab wrap inside the window, and the caller says where
// focus goes when it closes.

const open = [];
const FOCUSABLE = "button, [href], input, select, textarea, summary, [tabindex]:not([tabindex='-1'])";

function focusables(dialog) {
  return [...dialog.querySelectorAll(FOCUSABLE)].filter(
    (e) => !e.disabled && !e.closest("[hidden]") && e.getClientRects().length > 0
      && !(e.type === "radio" && !e.checked && dialog.querySelector(`input[type=radio][name="${e.name}"]:checked`)));
}

export function topDialog() {
  return open.length ? open[open.length - 1] : null;
}

export function openDialog(dialog, { focus = null, onClose = null } = {}) {
  if (dialog.open) return;
  dialog.showModal();
  open.push(dialog);
  dialog.addEventListener("close", () => {
    if (dialog.open) return; // closed and opened again before this event ran: it is not closed
    if (open.includes(dialog)) open.splice(open.indexOf(dialog), 1);
    if (onClose) onClose(dialog.returnValue);
  }, { once: true });
  (focus || focusables(dialog)[0] || dialog).focus();
}

export function closeDialog(dialog, value = "") {
  if (dialog.open) dialog.close(value);
}

// Keep Tab inside the top window (the browser would otherwise let it reach its own toolbar).
export function trapTab(event) {
  const dialog = topDialog();
  if (!dialog || event.key !== "Tab") return;
  const items = focusables(dialog);
  if (!items.length) { event.preventDefault(); return; }
  const first = items[0];
  const last = items[items.length - 1];
  const here = document.activeElement;
  if (!dialog.contains(here)) {
    event.preventDefault();
    first.focus();
  } else if (event.shiftKey && here === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && here === last) {
    event.preventDefault();
    first.focus();
  }
}

// Buttons marked data-close close the window they are in.
export function bindCloseButtons(root = document) {
  for (const button of root.querySelectorAll("dialog [data-close]")) {
    button.addEventListener("click", () => closeDialog(button.closest("dialog")));
  }
}

// Ask a yes/no question in the confirm window; resolves true for yes (Esc or Cancel: false).
export function confirmDialog({ title, text, yes }) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const yesButton = document.getElementById("confirm-yes");
  const noButton = document.getElementById("confirm-no");
  yesButton.textContent = yes;
  return new Promise((resolve) => {
    const answer = (value) => () => closeDialog(dialog, value);
    const onYes = answer("yes");
    const onNo = answer("no");
    yesButton.addEventListener("click", onYes);
    noButton.addEventListener("click", onNo);
    openDialog(dialog, {
      focus: noButton,
      onClose: (value) => {
        yesButton.removeEventListener("click", onYes);
        noButton.removeEventListener("click", onNo);
        resolve(value === "yes");
      },
    });
  });
}
