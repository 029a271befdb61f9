"""Sentry is optional and lazy; JSON logs carry the fields the deployment guide queries."""

from __future__ import annotations

import io
import json
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from digital_actors.config import Settings
from digital_actors.logging import configure_logging
from web.middlewares import access_log
from web.observability import init_sentry


def test_sentry_is_off_without_a_dsn(settings: Settings) -> None:
    assert init_sentry(settings) is False


def test_a_missing_sentry_package_is_one_warning(settings_factory: Callable[..., Settings],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import fails as if not installed
    with capture_logs() as logs:
        assert init_sentry(settings_factory(sentry_dsn="https://key@sentry.example/1")) is False
    assert [e["event"] for e in logs] == ["sentry_unavailable"]
    assert "digital-actors[sentry]" in logs[0]["hint"]


def test_sentry_is_configured_from_settings(settings_factory: Callable[..., Settings],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **kw: calls.append(kw)  # type: ignore[attr-defined]
    integrations = types.ModuleType("sentry_sdk.integrations.aiohttp")
    integrations.AioHttpIntegration = lambda: "aiohttp-integration"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentry_sdk", sdk)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.aiohttp", integrations)
    settings = settings_factory(sentry_dsn="https://key@sentry.example/1", env="production",
                                sentry_traces_sample_rate=0.25)
    assert init_sentry(settings) is True
    assert calls == [{"dsn": "https://key@sentry.example/1", "environment": "production",
                      "traces_sample_rate": 0.25, "send_default_pii": False,
                      "integrations": ["aiohttp-integration"]}]


async def test_access_log_is_one_json_line_without_the_query() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", json=True, env="production", stream=stream)
    try:
        from aiohttp import web
        from aiohttp.test_utils import make_mocked_request

        request = make_mocked_request("GET", "/ws?token=abcdefSECRET")

        async def handler(_: web.Request) -> web.Response:
            return web.Response(status=204)

        await access_log(request, handler)
    finally:
        configure_logging(level="INFO")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["event_type"] == "http_request" and line["path"] == "/ws" and line["status"] == 204
    assert {"@timestamp", "severity", "response_time_ms", "env"} <= set(line)
    assert "SECRET" not in stream.getvalue()
