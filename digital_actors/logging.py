"""structlog, configured once per entry point: console lines on a terminal, JSON for collectors.

JSON lines carry ``@timestamp``, ``severity``, ``env`` and whatever the caller bound
(``event_type``, ``session_id``, ``response_time_ms`` ...). Secret-looking values are redacted.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

SECRET_KEYS = re.compile(r"(api_key|apikey|token|secret|password|dsn|authorization)", re.I)
SECRET_VALUES = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|sk_[A-Za-z0-9]{8,}|xi-[A-Za-z0-9]{8,})")


def short_hash(value: str) -> str:
    """A short, stable, non-reversible id for logs (session ids, never the token itself)."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if SECRET_KEYS.search(key) and key not in {"event_type"}:
            event_dict[key] = "[redacted]"
        elif isinstance(value, str) and SECRET_VALUES.search(value):
            event_dict[key] = SECRET_VALUES.sub("[redacted]", value)
    return event_dict


def _rename_for_json(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if "timestamp" in event_dict:
        event_dict["@timestamp"] = event_dict.pop("timestamp")
    if "level" in event_dict:
        event_dict["severity"] = str(event_dict.pop("level")).upper()
    return event_dict


def configure_logging(*, level: str = "INFO", json: bool = False, env: str = "development",
                      stream: TextIO | None = None, file: Path | None = None) -> TextIO | None:
    """Configure structlog and the stdlib root logger. Call once per entry point.

    ``file`` sends logs to that file (appending) instead of a stream: the games own the
    terminal, so they log to the log dir. Returns the opened file, for the caller to close.
    """
    opened: TextIO | None = None
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            stream = opened = file.open("a", encoding="utf-8")
        except OSError:
            stream = None
    stream = stream or sys.stderr
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    if json:
        renderer: list[Any] = [
            lambda _l, _m, ed: {**ed, "env": env},
            _rename_for_json,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=stream.isatty())]
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric, stream=stream, format="%(levelname)s %(name)s: %(message)s",
                        force=True)
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    return opened
