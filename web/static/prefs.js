// The player's choices on this device (localStorage): voice, volume, text speed, suggestions, theme.

const KEY = "digital-actors.prefs";
const SPEEDS = ["slow", "normal", "fast", "instant"];
const THEMES = ["dark", "light"];

export function loadPrefs() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch { saved = {}; }
  const volume = Number(saved.volume);
  return {
    voice: saved.voice !== false,
    volume: Number.isFinite(volume) ? Math.min(1, Math.max(0, volume)) : 0.8,
    textSpeed: SPEEDS.includes(saved.textSpeed) ? saved.textSpeed : "normal",
    suggestions: saved.suggestions !== false,
    theme: THEMES.includes(saved.theme) ? saved.theme : null,
  };
}

export function savePrefs(prefs) {
  try { localStorage.setItem(KEY, JSON.stringify(prefs)); } catch { /* private mode: this visit only */ }
}

// The theme in force: the player's choice, else the system's.
export function themeOf(prefs) {
  if (prefs.theme) return prefs.theme;
  return window.matchMedia && window.matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

export function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
}

// What the server needs to know (the "settings" command).
export function serverSettings(prefs) {
  return { type: "settings", voice: prefs.voice, suggestions: prefs.suggestions, text_speed: prefs.textSpeed };
}
