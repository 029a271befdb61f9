"""Deployment files: the compose file, Prometheus rules, the Grafana dashboard and the Dockerfile agree
with the code (metric names, port, health check) — checked without a Docker engine."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\b(digital_actors_[a-z_]+?)(?:_bucket|_count|_sum)?\b")


def _defined_metrics() -> set[str]:
    """Every digital_actors_* metric the code registers (importing the modules that define them)."""
    from prometheus_client import REGISTRY

    for module in ("digital_actors.llm.metrics", "digital_actors.memory.metrics", "digital_actors.voice.metrics",
                   "web.metrics"):
        importlib.import_module(module)
    return {m.name.removesuffix("_total") for m in REGISTRY.collect() if m.name.startswith("digital_actors_")}


def _base(name: str) -> str:
    return name.removesuffix("_total")


def test_compose_structure() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    app = services["app"]
    assert "profiles" not in app and app["read_only"] is True and "/tmp" in app["tmpfs"]
    assert {"app-data:/app/data", "voice-cache:/app/cache"} <= set(app["volumes"])
    assert app["environment"]["PORT"] == "8888" and app["ports"][0].endswith(":8888")
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["grafana"]["profiles"] == ["monitoring"]
    grafana_env = services["grafana"]["environment"]
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:-}"
    assert "exit" in " ".join(services["grafana"]["entrypoint"])  # refuses to start without a password
    dev = services["app-dev"]
    assert dev["profiles"] == ["dev"] and ".:/src" in dev["volumes"] and "watchfiles" in dev["command"]
    # The dev server's home is a named volume, never a folder inside the mounted source tree.
    home = dev["environment"]["DIGITAL_ACTORS_HOME"]
    assert not home.startswith("/src") and f"dev-home:{home}" in dev["volumes"] and "dev-home" in compose["volumes"]
    for mount in services["prometheus"]["volumes"] + services["grafana"]["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), source


def test_prometheus_rules_cover_the_required_alerts() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    wanted = {"DigitalActorsHighErrorRate": "digital_actors_errors_total",
              "DigitalActorsSlowResponses": "digital_actors_response_seconds_bucket",
              "DigitalActorsWebSocketDisconnects": "digital_actors_ws_disconnects_total",
              "DigitalActorsTTSFailures": "digital_actors_tts_errors_total"}
    for name, metric in wanted.items():
        assert metric in alerts[name]["expr"]
        assert alerts[name]["for"] and alerts[name]["annotations"]["summary"]
    defined = _defined_metrics()
    for rule in alerts.values():
        for used in METRIC.findall(rule["expr"]):
            assert _base(used) in defined, f"{rule['alert']} uses undefined metric {used}"


def test_dashboard_uses_only_defined_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "digital-actors.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in METRIC.findall(e)}
    assert {"digital_actors_requests_total", "digital_actors_response_seconds", "digital_actors_active_sessions",
            "digital_actors_ws_disconnects_total", "digital_actors_errors_total",
            "digital_actors_tts_errors_total"} <= used
    missing = {m for m in used if _base(m) not in _defined_metrics()}
    assert not missing
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "digital-actors.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="no promtool: `apt-get install prometheus` to check the rules with it")
def test_promtool_checks_and_unit_tests_the_rules() -> None:
    folder = DEPLOY / "prometheus"
    for command in (["promtool", "check", "rules", "alerts.yml"], ["promtool", "test", "rules", "alerts_test.yml"]):
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_matches_the_deployment_contract() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") == 2 and "FROM python:3.11-slim AS builder" in text
    assert "USER actors" in text and "PORT=8888" in text
    assert "DIGITAL_ACTORS_DB=/app/data/player_memory.db" in text and "DIGITAL_ACTORS_HOME=/app" in text
    assert 'VOLUME ["/app/data", "/app/cache"]' in text
    assert "--start-period=40s" in text and "curl" not in text.split("HEALTHCHECK", 1)[1]
    assert 'CMD ["digital-actors", "serve", "--host", "0.0.0.0"]' in text
    probe = re.search(r'CMD \["python", "-c", "(.*)"\]\nCMD', text)
    assert probe is not None
    compile(probe.group(1).replace('\\"', '"'), "<healthcheck>", "exec")
