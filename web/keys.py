"""Typed application keys: everything the app owns, found without module globals."""

from __future__ import annotations

import asyncio
import weakref

from aiohttp import web
from prometheus_client import CollectorRegistry

from digital_actors.config import Settings
from digital_actors.engine import Engine
from web.assets import Assets
from web.catalog import SceneCatalog
from web.clients import Network
from web.sessions import SessionRegistry

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
CATALOG = web.AppKey("catalog", SceneCatalog)
REGISTRY = web.AppKey("registry", SessionRegistry)
ASSETS = web.AppKey("assets", Assets)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])
SHUTTING_DOWN = web.AppKey("shutting_down", asyncio.Event)
ALLOWED_ORIGINS = web.AppKey("allowed_origins", frozenset[str])
TRUSTED_PROXIES = web.AppKey("trusted_proxies", tuple[Network, ...])
METRICS = web.AppKey("metrics", CollectorRegistry)
