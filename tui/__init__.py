"""The Textual terminal game. ``run(settings, ...)`` is what ``digital-actors`` calls."""

from __future__ import annotations

from tui.run import run

__all__ = ["run"]
