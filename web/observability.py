"""Error reporting: Sentry only when SENTRY_DSN is set and the ``sentry`` extra is installed."""

from __future__ import annotations

import importlib

import structlog

from digital_actors.config import Settings

log = structlog.get_logger()


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry SDK if configured; a missing package is one warning, never a crash."""
    dsn = settings.sentry_dsn.get_secret_value().strip() if settings.sentry_dsn else ""
    if not dsn:
        return False
    try:
        sentry_sdk = importlib.import_module("sentry_sdk")
        aiohttp_integration = importlib.import_module("sentry_sdk.integrations.aiohttp")
    except ImportError:
        log.warning("sentry_unavailable", event_type="sentry",
                    hint="SENTRY_DSN is set but sentry-sdk is not installed: "
                         "pip install 'digital-actors[sentry]'")
        return False
    environment = settings.sentry_environment or settings.env
    sentry_sdk.init(dsn=dsn, environment=environment,
                    traces_sample_rate=settings.sentry_traces_sample_rate, send_default_pii=False,
                    integrations=[aiohttp_integration.AioHttpIntegration()])
    log.info("sentry_enabled", event_type="sentry", environment=environment,
             traces_sample_rate=settings.sentry_traces_sample_rate)
    return True
