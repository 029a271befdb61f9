"""The aiohttp web front end: the browser game, /health, /metrics and the WebSocket protocol.

Imports the engine (``digital_actors``) only; the CLI's ``serve`` command calls ``web.serve``.
"""

from __future__ import annotations

from web.app import create_app
from web.server import serve

__all__ = ["create_app", "serve"]
