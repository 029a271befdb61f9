"""Where Digital Actors keeps its files: platformdirs, or everything under DIGITAL_ACTORS_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "digital-actors"
HOME_ENV = "DIGITAL_ACTORS_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Durable per-user data: the memory database, user scenes."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Disposable data: the voice cache."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Log files, when logging to a file is asked for."""
    home = _home()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def user_scenes_dir() -> Path:
    """Scenes the user adds by hand; searched after the built-in ones."""
    return data_dir() / "scenes"


def builtin_scenes_dir() -> Path:
    """The scenes shipped with the package (in the wheel) or the repository (editable install)."""
    packaged = Path(__file__).resolve().parent / "scenes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "scenes"
