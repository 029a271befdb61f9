"""structlog, configured once per entry point: console lines on a terminal, JSON for collectors.

JSON lines carry ``@timestamp``, ``severity``, ``env`` and whatever the caller bound
(``event_type``, ``session_id``, ``response_time_ms`` ...). The standard library's loggers (the
SDKs', aiohttp's, asyncio's) go through the same processors (structlog's ``ProcessorFormatter``),
so with JSON on every line is JSON. Redaction runs on every line: secret-named fields, every
configured secret *value* (``secrets=``: API keys, the Sentry DSN, the metrics token ...), key-
and token-shaped strings, tokens in URL query strings and credentials in URLs. Prompts are
logged only with ``log_prompts=True``. Error events are also handed to the standard library's
``digital_actors.errors`` logger (which prints nothing) so an error tracker hooked there
(Sentry's logging integration) receives them with their traceback.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

REDACTED = "[redacted]"
ERRORS_LOGGER = "digital_actors.errors"
# Field names whose values are secrets: ``api_key``, ``metrics_token``, ``sentry_dsn``... but not
# ``input_tokens`` (a count): the name must END in the secret word.
SECRET_KEYS = re.compile(
    r"(?:^|_)(?:api_?key|apikey|token|secret|password|passwd|dsn|authorization|auth|cookie|"
    r"credentials?)$", re.I)
# Values shaped like keys: OpenAI/Anthropic ``sk-``, Stripe-style ``sk_``, ElevenLabs ``xi-``,
# Google ``AIza``, and bearer tokens.
SECRET_VALUES = re.compile(
    r"\bsk-[A-Za-z0-9_\-]{8,}|\bsk_[A-Za-z0-9]{8,}|\bxi-[A-Za-z0-9]{8,}|\bAIza[0-9A-Za-z_\-]{20,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/\-]{6,}=*")
# ``/ws?token=...``: a secret-looking query parameter's value (also after ``&`` or ``;``).
_QUERY = re.compile(
    r"(?i)((?:^|[?&;])(?:token|access_token|refresh_token|id_token|api_key|apikey|key|secret|password|"
    r"sig|signature|auth|dsn)=)[^&;\s\"'#<>\\]+")
# ``https://user:pass@host``: credentials inside a URL (a Sentry DSN carries its key this way).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s:@\"'<>]+(?::[^/\s@\"'<>]*)?@")
MIN_SECRET = 4  # shorter configured "secrets" would redact ordinary words

_prompts = False  # set by configure_logging; read by the model driver (log_prompts_enabled)


def short_hash(value: str) -> str:
    """A short, stable, non-reversible id for logs (session ids, never the token itself)."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def redact_patterns(text: str) -> str:
    """``text`` with key-shaped strings, bearer tokens, query tokens and URL credentials removed."""
    text = SECRET_VALUES.sub(REDACTED, text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    text = _QUERY.sub(rf"\1{REDACTED}", text)
    return _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text)


class Redactor:
    """Removes every configured secret value (and the shapes of ``redact_patterns``) from text,
    from nested values, and from event dicts (whose secret-named fields are dropped whole)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            if secret and len(secret.strip()) >= MIN_SECRET:
                values.add(secret.strip())
                values.add(jsonlib.dumps(secret.strip())[1:-1])  # as it appears inside JSON text
        ordered = sorted(values, key=len, reverse=True)
        self._values = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def text(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        return redact_patterns(text)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: REDACTED if isinstance(k, str) and SECRET_KEYS.search(k) and v
                    else self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        return value

    def event(self, _: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """A structlog processor."""
        for key, value in list(event_dict.items()):
            if key in {"exc_info", "_record", "_from_structlog", "event_type"}:
                continue
            if SECRET_KEYS.search(key) and value:
                event_dict[key] = REDACTED
            else:
                event_dict[key] = self.value(value)
        return event_dict

    def rendered(self, _: Any, __: str, line: Any) -> Any:
        """A last processor, after the renderer: the whole line, tracebacks included."""
        return self.text(line) if isinstance(line, str) else line


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without ``secrets`` and without anything shaped like a key or a token."""
    return Redactor(secrets).text(text)


def log_prompts_enabled() -> bool:
    """Whether prompts may be written to the log (``LOG_PROMPTS``)."""
    return _prompts


def _rename_for_json(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if "timestamp" in event_dict:
        event_dict["@timestamp"] = event_dict.pop("timestamp")
    if "level" in event_dict:
        event_dict["severity"] = str(event_dict.pop("level")).upper()
    return event_dict


def _drop_prompts(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Our own prompt lines (``llm_prompt``) go only where LOG_PROMPTS lets them."""
    if event_dict.get("event") == "llm_prompt":
        raise structlog.DropEvent
    return event_dict


class _NoPrompts(logging.Filter):
    """The SDKs log whole requests (the prompt, the players' words) at DEBUG as "Request options"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Request options")


def _exc_tuple(exc_info: Any) -> Any:
    if isinstance(exc_info, BaseException):
        return (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple):
        return exc_info
    if exc_info:
        return sys.exc_info()
    return None


def _forward_errors(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Hand error events (with their exception) to the ``digital_actors.errors`` stdlib logger."""
    level = event_dict.get("level")
    if level in ("error", "critical"):
        fields = {k: v for k, v in event_dict.items()
                  if k not in {"event", "exc_info", "level", "timestamp"}}
        logging.getLogger(ERRORS_LOGGER).log(
            logging.CRITICAL if level == "critical" else logging.ERROR,
            str(event_dict.get("event")), exc_info=_exc_tuple(event_dict.get("exc_info")),
            extra={"fields": fields})
    return event_dict


class _LineHandler(logging.Handler):
    """Writes formatted stdlib records through structlog's PrintLogger: one lock, one stream."""

    def __init__(self, printer: structlog.PrintLogger) -> None:
        super().__init__()
        self.printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.printer.msg(self.format(record))
        except Exception:  # never let a log line break the program
            self.handleError(record)


def configure_logging(*, level: str = "INFO", json: bool = False, env: str = "development",
                      stream: TextIO | None = None, file: Path | None = None,
                      secrets: Iterable[str | None] = (), log_prompts: bool = False) -> TextIO | None:
    """Configure structlog and the stdlib root logger. Call once per entry point.

    ``file`` sends logs to that file (appending) instead of a stream: the games own the
    terminal, so they log to the log dir. Returns the opened file, for the caller to close.
    ``secrets`` are values never to be written (``Settings.secret_values()``).
    """
    global _prompts
    _prompts = log_prompts
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
    redactor = Redactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redactor.event,
    ]
    if json:
        renderer: list[Any] = [
            lambda _l, _m, ed: {**ed, "env": env},
            _rename_for_json,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
            redactor.rendered,
        ]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=stream.isatty()), redactor.rendered]
    printer = structlog.PrintLogger(file=stream)
    prompts: list[Any] = [] if log_prompts else [_drop_prompts]
    structlog.configure(
        processors=[*prompts, *shared, _forward_errors, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=lambda *_: printer,
        cache_logger_on_first_use=False,
    )
    handler = _LineHandler(printer)
    if not log_prompts:
        handler.addFilter(_NoPrompts())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer]))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(numeric)
    for noisy in ("httpx", "httpx2", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    errors = logging.getLogger(ERRORS_LOGGER)
    errors.propagate = False  # printed once already, by structlog
    errors.setLevel(logging.ERROR)
    if not errors.handlers:
        errors.addHandler(logging.NullHandler())
    return opened
