"""Digital Actors: an interactive-drama engine (asyncio only, no UI imports)."""

from __future__ import annotations

__version__ = "0.1.0"
