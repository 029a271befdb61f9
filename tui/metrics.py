"""Prometheus metrics of the terminal front end (gathered by digital_actors/metrics.py later)."""

from __future__ import annotations

from prometheus_client import Counter

SESSIONS = Counter("digital_actors_tui_sessions_total", "Scene sessions started from the terminal game.")
RELOADS = Counter("digital_actors_tui_reloads_total", "Hot reloads of a scene file, by result.", ["result"])
