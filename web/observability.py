"""Error reporting: Sentry only when SENTRY_DSN is set and the ``sentry`` extra is installed.

What reaches Sentry: every ERROR log line with its exception — the error middleware's
``http_handler_failed`` (a handler that raised; the player gets a plain 500), a session task
that failed (``session_task_failed``, ``performance_failed``), the web player's event pump
(``event_delivery_failed``, ``event_pump_failed``), a WebSocket command that raised, and any
library's ERROR line (not a request aiohttp could not parse: the client's fault, logged at INFO).
``digital_actors.logging`` hands structlog's error events to the standard library's
``digital_actors.errors`` logger, which Sentry's logging integration watches. Every event is
scrubbed of the configured secret values before it leaves (``before_send``), as the logs are.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import structlog

from digital_actors.config import Settings
from digital_actors.logging import Redactor

log = structlog.get_logger()


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry SDK if configured; a missing package is one warning, never a crash."""
    dsn = settings.sentry_dsn.get_secret_value().strip() if settings.sentry_dsn else ""
    if not dsn:
        return False
    try:
        sentry_sdk = importlib.import_module("sentry_sdk")
        aiohttp_integration = importlib.import_module("sentry_sdk.integrations.aiohttp")
        logging_integration = importlib.import_module("sentry_sdk.integrations.logging")
    except ImportError:
        log.warning("sentry_unavailable", event_type="sentry",
                    hint="SENTRY_DSN is set but sentry-sdk is not installed: "
                         "pip install 'digital-actors[sentry]'")
        return False
    environment = settings.sentry_environment or settings.env
    redactor = Redactor(settings.secret_values())

    def scrub(event: Any, _hint: Any) -> Any:
        """Sentry's ``before_send``/``before_breadcrumb``: no configured secret leaves the process."""
        return redactor.value(event)

    # No personal data: the SDK's default (``send_default_pii`` is deprecated and off by default).
    # No auto-enabled integrations: Sentry's Anthropic and OpenAI ones would report every provider
    # error the understudy already covers (80 events in a 24-turn outage) with the prompt in the
    # frames. Frame variables hold players' words, so they go only with LOG_PROMPTS.
    sentry_sdk.init(dsn=dsn, environment=environment,
                    traces_sample_rate=settings.sentry_traces_sample_rate,
                    auto_enabling_integrations=False,
                    include_local_variables=settings.log_prompts,
                    integrations=[aiohttp_integration.AioHttpIntegration(),
                                  logging_integration.LoggingIntegration(
                                      level=logging.INFO, event_level=logging.ERROR)],
                    before_send=scrub, before_breadcrumb=scrub)
    log.info("sentry_enabled", event_type="sentry", environment=environment,
             traces_sample_rate=settings.sentry_traces_sample_rate)
    return True
