"""Typed application keys: everything the app owns, found without module globals."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

from aiohttp import web

from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.store import MemoryStore
from web.assets import Assets
from web.catalog import SceneCatalog
from web.sessions import SessionRegistry


@dataclass(slots=True)
class MemoryState:
    """The memory store in use (None: play without memory) and why it is missing, if it should exist."""

    store: MemoryStore | None = None
    problem: str | None = None


SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
MEMORY = web.AppKey("memory", MemoryState)
CATALOG = web.AppKey("catalog", SceneCatalog)
REGISTRY = web.AppKey("registry", SessionRegistry)
ASSETS = web.AppKey("assets", Assets)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])
SHUTTING_DOWN = web.AppKey("shutting_down", asyncio.Event)
ALLOWED_ORIGINS = web.AppKey("allowed_origins", frozenset[str])
