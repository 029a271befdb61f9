"""WCAG 2 contrast, and the nearest readable shade of a colour (for a scene's cast colours).

A scene's ``colour`` is chosen by its writer against one background; the game has a dark and a
light one. ``readable`` keeps the hue and saturation and moves the lightness away from the
background until the pair reaches ``MIN_CONTRAST`` (WCAG AA for body text).
"""

from __future__ import annotations

from textual.color import Color

MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4


def luminance(colour: Color) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    return 0.2126 * _channel(colour.r) + 0.7152 * _channel(colour.g) + 0.0722 * _channel(colour.b)


def contrast(a: Color | str, b: Color | str) -> float:
    """The WCAG contrast ratio of two opaque colours, 1 to 21."""
    la, lb = (luminance(Color.parse(c) if isinstance(c, str) else c) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def readable(colour: str, background: str, minimum: float = MIN_CONTRAST) -> str:
    """``colour`` as is when it reads on ``background``, else the nearest shade that does (hex)."""
    fg, bg = Color.parse(colour), Color.parse(background)
    if contrast(fg, bg) >= minimum:
        return fg.hex
    h, s, lightness = fg.hsl
    step = 0.01 if luminance(bg) < 0.18 else -0.01  # lighter on a dark background, darker on a light one
    while 0.0 <= lightness <= 1.0:
        lightness += step
        shade = Color.from_hsl(h, s, min(max(lightness, 0.0), 1.0))
        if contrast(shade, bg) >= minimum:
            return shade.hex
    return "#FFFFFF" if step > 0 else "#000000"


def solid(spec: str, background: str) -> str:
    """A theme variable's value as an opaque hex colour: ``auto 60%`` (Textual's text-muted) is the
    background's contrasting text colour at 60%, and a translucent colour is blended onto ``background``."""
    bg = Color.parse(background)
    words = spec.split()
    if words and words[0] == "auto":
        alpha = float(words[1].rstrip("%")) / 100 if len(words) > 1 else 0.95
        colour = bg.get_contrast_text(alpha)
    else:
        colour = Color.parse(spec)
    return (bg.blend(colour.with_alpha(1.0), colour.a) if colour.a < 1 else colour).hex
