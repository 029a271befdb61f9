"""Every key binding in one place: the screens bind from here and the help screen lists it.

Digits press controls only when the speech input is empty (so "I have 2 kids" types normally);
Alt+digit presses a control at any time. Suggestions use F1-F3, which never collide with typing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyHelp:
    keys: str
    what: str
    where: str


HELP: tuple[KeyHelp, ...] = (
    KeyHelp("Enter", "say what you typed (typing while the actor speaks interrupts them)", "play"),
    KeyHelp("Up / Down", "previous / next thing you said (input history)", "play"),
    KeyHelp("1-9", "press the control with that key, when the input is empty", "play"),
    KeyHelp("Alt+1-9", "press the control with that key, at any time", "play"),
    KeyHelp("F1 F2 F3", "say suggestion 1, 2 or 3", "play"),
    KeyHelp("F4", "interrupt the actor without saying anything", "play"),
    KeyHelp("F5", "restart the scene from the top", "play"),
    KeyHelp("Esc", "pause / resume the scene clock", "play"),
    KeyHelp("F12", "writer's inspector: all state, signals, director, timings", "play"),
    KeyHelp("Ctrl+L", "leave the scene, back to the scene list", "play"),
    KeyHelp("Enter / click", "play the highlighted scene", "scenes"),
    KeyHelp("Up / Down", "move through the scene list", "scenes"),
    KeyHelp("R / Esc", "retry / back to the scene list", "game over"),
    KeyHelp("F6", "your profile: what the characters remember about you", "anywhere"),
    KeyHelp("F7", "settings: voice, volume, suggestions, theme, performer", "anywhere"),
    KeyHelp("F8", "this help", "anywhere"),
    KeyHelp("Tab / Shift+Tab", "move between buttons and fields", "anywhere"),
    KeyHelp("Esc", "close a dialog or go back", "dialogs"),
    KeyHelp("Ctrl+Q", "quit (the scene is closed cleanly)", "anywhere"),
)
