"""Every piece of text reads at WCAG AA (4.5:1) in both themes.

Two checks: the theme's text colours on each background they are drawn on, and each built-in
scene's cast colours (shaded by ``readable``) on the transcript's background; then every text cell
actually drawn on the screens a player sees (picker, play, the dialogs, the welcome), fore- and
background as Textual composed them, so a colour set by Textual's own widgets is checked too.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from rich.segment import Segment
from textual.color import Color

from digital_actors import paths
from digital_actors.errors import SceneError
from digital_actors.events import GameOver
from tests.tui.conftest import builtin_scene_ids, play_screen, settle
from tui.contrast import MIN_CONTRAST, contrast, readable, solid
from tui.screens.confirm import ConfirmDialog
from tui.screens.error import ErrorDialog
from tui.screens.game_over import GameOverScreen
from tui.screens.welcome import WelcomeScreen
from tui.theme import DARK, LIGHT, SPEAKER_VARIABLES, TEXT_ON

THEMES = [DARK, LIGHT]
SMALL = (80, 24)


def test_the_common_font_glyphs() -> None:
    assert all(in_common_fonts(ch) for ch in "Aé—…·×●█░▌─│╭▔▁▊ ")
    assert not any(in_common_fonts(ch) for ch in "⏸⏱★▶✓🎭")


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)


def test_readable_keeps_a_readable_colour_and_shades_one_that_is_not() -> None:
    assert readable("#E8E3D9", "#14161A") == "#E8E3D9"
    dark_on_dark = readable("#1E3A8A", "#14161A")
    light_on_light = readable("#E0A458", "#F6F1E7")
    assert contrast(dark_on_dark, "#14161A") >= MIN_CONTRAST
    assert contrast(light_on_light, "#F6F1E7") >= MIN_CONTRAST
    assert Color.parse(light_on_light).hsl.h == pytest.approx(Color.parse("#E0A458").hsl.h, abs=0.02)  # same hue


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_every_theme_text_colour_reads_on_every_background_it_is_drawn_on(theme: Any) -> None:
    variables = theme.to_color_system().generate()
    weak = []
    for fg, backgrounds in TEXT_ON.items():
        for bg in backgrounds:
            back = solid(variables[bg], variables["background"])
            ratio = contrast(solid(variables[fg], back), back)
            if ratio < MIN_CONTRAST:
                weak.append(f"{fg} on {bg}: {ratio:.2f}")
    assert not weak, weak


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_every_character_colour_reads_on_the_transcript(theme: Any) -> None:
    variables = theme.to_color_system().generate()
    background = variables["surface"]  # the paused transcript's ground; the closer one to every text colour
    assert all(contrast(c, variables["background"]) >= contrast(c, background) for c in ("#7fb7be", "#b0413e"))
    colours = {f"${v}": variables[v] for v in SPEAKER_VARIABLES}
    for scene_id in builtin_scene_ids():
        scene = tomllib.loads((paths.builtin_scenes_dir() / scene_id / "scene.toml").read_text())
        colours.update({f"{scene_id}.{cid}": c["colour"] for cid, c in scene.get("cast", {}).items() if "colour" in c})
    assert len(colours) > len(SPEAKER_VARIABLES)
    weak = {name: round(contrast(readable(c, background), background), 2) for name, c in colours.items()
            if contrast(readable(c, background), background) < MIN_CONTRAST}
    assert not weak, weak


# --- what is drawn ---------------------------------------------------------------------------------
CHROME = (0x2500, 0x25A0)  # box drawing and block elements: borders, bars, scrollbars (graphics, not text)


def _rgb(colour: Any) -> Color | None:
    if colour is None or colour.triplet is None:
        return None
    r, g, b = colour.triplet
    return Color(r, g, b)


# WGL4 (the glyphs Windows' core fonts, DejaVu Sans Mono, Menlo and Consolas all have), as ranges and
# singles: Latin, general punctuation, arrows, the minus sign, box drawing and block elements (which
# most terminals draw themselves), and the few geometric shapes WGL4 holds (● among them).
COMMON_RANGES = ((0x20, 0x17F), (0x2010, 0x2027), (0x2030, 0x203A), (0x2190, 0x2195), (0x2500, 0x25A0))
COMMON_SINGLES = set("−■□▪▫▬▲►▼◄○●◘◙◦")


def in_common_fonts(ch: str) -> bool:
    return ch in COMMON_SINGLES or any(low <= ord(ch) < high for low, high in COMMON_RANGES)


def odd_glyphs(app: Any, where: str) -> list[str]:
    """Characters on screen that common terminal fonts draw as a missing-glyph box."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return sorted({f"{where}: {ch!r} U+{ord(ch):04X} in {line.strip()[:50]!r}"
                   for line in lines for ch in line if not in_common_fonts(ch)})


def weak_text(app: Any, where: str) -> list[str]:
    """Every drawn character (not chrome) whose colours fall below 4.5:1, with what it belongs to; and
    every character outside the common fonts."""
    screen = app.screen
    dialog = screen.query("#dialog")
    region = dialog.first().region if dialog else screen.region
    found: dict[str, float] = {}
    for y, strip in enumerate(screen._compositor.render_strips()):
        if not region.y <= y < region.bottom:
            continue
        x = 0
        line = strip.text
        for segment in strip:
            text, style = segment.text, segment.style
            assert isinstance(segment, Segment)
            width = len(text)
            inside = [(i, ch) for i, ch in enumerate(text) if region.x <= x + i < region.right]
            x += width
            chars = "".join(ch for _, ch in inside if not ch.isspace() and not CHROME[0] <= ord(ch) < CHROME[1])
            if not chars or style is None:
                continue
            fg, bg = _rgb(style.color), _rgb(style.bgcolor)
            if fg is None or bg is None:
                found[f"{where}: {chars!r} has no explicit colour (line {line.strip()[:40]!r})"] = 0.0
                continue
            if style.reverse:
                fg, bg = bg, fg
            if style.dim:
                fg = bg.blend(fg, 0.5)
            ratio = contrast(fg, bg)
            if ratio < MIN_CONTRAST:
                found[f"{where}: {chars[:30]!r} {fg.hex} on {bg.hex}"] = round(ratio, 2)
    return [f"{k} = {v}" for k, v in found.items()] + odd_glyphs(app, where)


class Memories:
    async def memories(self) -> list[tuple[str, str, str]]:
        return [("1", "Hale", "You asked about the trim pump twice.")]

    async def forget(self, memory_id: str | None) -> None:
        return None


@pytest.mark.parametrize("dark", [True, False], ids=["dark", "light"])
async def test_every_drawn_character_reads_at_4_5_to_1_in_a_common_font(dark: bool, make_builtin_app: Any) -> None:
    app, clock = make_builtin_app("life_raft", phase=None, dark=dark, profile=Memories(), player="Ada")
    weak: list[str] = []
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press(*"hello captain", "enter")
        await settle(pilot)
        await clock.advance(3)
        app.notify("The scene reloaded.", title="Scene reloaded")
        app.notify("No audio device: text only.", severity="warning")
        app.notify("scene.toml: endings[0].kind: expected 'success' or 'failure'", severity="error")
        await settle(pilot)
        weak += weak_text(app, "play")
        for key, name in (("f7", "settings"), ("f8", "help"), ("f6", "profile"), ("escape", "paused")):
            await pilot.press(key)
            await settle(pilot)
            weak += weak_text(app, name)
            if key != "escape":
                await pilot.press("escape")
                await settle(pilot)
        await pilot.press("escape")  # resume
        await pilot.press("f12")
        await settle(pilot)
        weak += weak_text(app, "inspector")
        await pilot.press("f12")
        for kind in ("success", "failure"):
            await app.push_screen(GameOverScreen(GameOver("x", kind, "Surfaced together", "You came up. " * 8,  # type: ignore[arg-type]
                                                          99.0, {}), [("Time", "1:39")]))
            await settle(pilot)
            weak += weak_text(app, f"game over ({kind})")
            app.pop_screen()
        for dialog, name in ((ErrorDialog(SceneError("cannot load", hint="save again", problems=["a: b: c"])), "error"),
                             (ConfirmDialog("Forget everything?"), "confirm"), (WelcomeScreen(), "welcome")):
            await app.push_screen(dialog)
            await settle(pilot)
            weak += weak_text(app, name)
            app.pop_screen()
        play_screen(app).action_leave()
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        weak += weak_text(app, "picker")
    assert not weak, "\n".join(weak)
