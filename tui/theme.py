"""The game's two themes (stage-dark and paper-light): one palette, expressed as theme variables."""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="digital-actors",
    primary="#E0A458",      # warm stage light
    secondary="#7FB7BE",
    accent="#D0A5C0",
    warning="#E9C46A",
    error="#E76F51",
    success="#8AB17D",
    foreground="#E8E3D9",
    background="#14161A",
    surface="#1C1F24",
    panel="#262A31",
    dark=True,
)

LIGHT = Theme(
    name="digital-actors-light",
    primary="#9A5B13",
    secondary="#2B6F77",
    accent="#8E4A77",
    warning="#9C6B00",
    error="#B23A1F",
    success="#3D6B2F",
    foreground="#1E1E1E",
    background="#F6F1E7",
    surface="#EFE8DA",
    panel="#E3DACA",
    dark=False,
)

SPEAKER_VARIABLES = ("secondary", "accent", "success", "warning")
"""Theme variables speakers are coloured with, in cast order (a cast ``colour`` wins)."""
