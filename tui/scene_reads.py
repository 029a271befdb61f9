"""Scene files are read off the UI loop, one read at a time.

CPython 3.11 can fail with "SystemError: AST constructor recursion depth mismatch" when two
threads parse Python expressions at once (scene conditions are parsed with ``ast``); the picker
listing every scene while a scene starts did exactly that. One process-wide lock, because the
fault is the interpreter's, not any one player's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_PARSING = threading.Lock()


async def read_scenes(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args)`` in a worker thread, never while another scene read is running."""

    def locked() -> T:
        with _PARSING:
            return fn(*args, **kwargs)

    return await asyncio.to_thread(locked)
