"""The game's two themes (stage-dark and paper-light): one palette, expressed as theme variables.

Every colour used for text reads at WCAG AA (4.5:1) on every background it is drawn on
(``TEXT_ON``; tests/tui/test_contrast.py computes each pair and scans the drawn screens).
"""

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
    primary="#885011",
    secondary="#27656C",
    accent="#874771",
    warning="#7D5600",
    error="#A5361D",
    success="#3B672D",
    foreground="#1E1E1E",
    background="#F6F1E7",
    surface="#EFE8DA",
    panel="#E3DACA",
    dark=False,
)

SPEAKER_VARIABLES = ("secondary", "accent", "success", "warning")
"""Theme variables speakers are coloured with, in cast order (a cast ``colour`` wins)."""

BACKGROUNDS = ("background", "surface", "panel")
TEXT_ON: dict[str, tuple[str, ...]] = {
    **{fg: BACKGROUNDS for fg in ("foreground", "primary", "secondary", "accent", "success", "warning", "error",
                                  "text-muted")},
    "background": ("primary", "warning"),  # the primary dialog button, the PAUSED badge
}
"""Theme variables used as text colours, and the backgrounds each is drawn on."""
