"""Deployment files: the compose file, Prometheus rules, the Grafana dashboard and the Dockerfile agree
with the code (metric names, port, health check) — checked without a Docker engine."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
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
    for name in ("node-exporter", "blackbox-exporter"):
        assert services[name]["profiles"] == ["monitoring"] and "ports" not in services[name]  # not published
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]
    assert services["node-exporter"]["pid"] == "host" and "/:/host:ro,rslave" in services["node-exporter"]["volumes"]
    for service in services.values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source


def test_prometheus_scrapes_every_app_service_the_host_and_the_health_probe() -> None:
    """The app and every replica of the scale profile are found by name (DNS), so whichever run are
    scraped and probed, and those that do not run are no targets (no false DigitalActorsDown)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"digital-actors", "node", "digital-actors-health"}
    assert jobs["node"]["static_configs"][0]["targets"] == ["node-exporter:9100"]
    servers = sorted(name for name, spec in compose.items() if spec.get("image") == "digital-actors:latest")
    assert servers == ["app", "app-1", "app-2"]
    for name in ("digital-actors", "digital-actors-health"):
        [sd] = jobs[name]["dns_sd_configs"]
        assert sorted(sd["names"]) == servers and sd["type"] == "A" and sd["port"] == 8888
    health = jobs["digital-actors-health"]
    assert health["metrics_path"] == "/probe" and health["params"] == {"module": ["health"]}
    target = next(r for r in health["relabel_configs"] if r.get("target_label") == "__param_target")
    assert target["replacement"] == "http://${1}/health"
    assert health["relabel_configs"][-1] == {"target_label": "__address__", "replacement": "blackbox-exporter:9115"}
    blackbox = yaml.safe_load((DEPLOY / "prometheus" / "blackbox.yml").read_text())
    assert blackbox["modules"]["health"]["http"]["valid_status_codes"] == [200]
    assert {"node-exporter", "blackbox-exporter"} <= set(compose["prometheus"]["depends_on"])
    assert "app" not in compose["prometheus"]["depends_on"]  # it would start the single app in the scale profile
    # The alerts count "three probes in a row" in 15 s steps.
    assert config["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}


# Every alert of the deployment guide's "Alert Configuration" (shared/deployment-guide.md), and the rule
# that carries it. Thresholds and durations are pinned by alerts_test.yml, which promtool runs.
GUIDE_ALERTS = {
    "Error rate > 5% (5 minutes)": "DigitalActorsHighErrorRate",
    "Response time > 10 seconds (95th percentile)": "DigitalActorsVerySlowResponses",
    "WebSocket disconnection rate > 10%": "DigitalActorsWebSocketDisconnects",
    "TTS failures > 10%": "DigitalActorsTTSFailures",
    "CPU usage > 80% (5 minutes)": "DigitalActorsHostHighCPU",
    "Memory usage > 90% (5 minutes)": "DigitalActorsHostHighMemory",
    "Disk usage > 85%": "DigitalActorsDiskAlmostFull",
    "Health check failures (3 consecutive)": "DigitalActorsHealthCheckFailing",
    "Anthropic API errors > 5%": "DigitalActorsModelAPIErrors",
    "ElevenLabs API errors > 5%": "DigitalActorsElevenLabsErrors",
    "API rate limit approaching": "DigitalActorsRateLimitApproaching",
}
# Metrics of the standard exporters the rules read (node-exporter, blackbox-exporter, Prometheus).
EXPORTER_METRICS = {"up", "probe_success", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
                    "node_memory_MemTotal_bytes", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\[)")


def _rules() -> dict[str, dict[str, str]]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return {r.get("alert") or r["record"]: r for g in rules["groups"] for r in g["rules"]}


def test_prometheus_rules_cover_every_alert_of_the_guide() -> None:
    alerts = _rules()
    assert set(GUIDE_ALERTS.values()) <= set(alerts)
    defined = _defined_metrics()
    for name, rule in alerts.items():
        assert "alert" not in rule or (rule["annotations"]["summary"] and rule["labels"]["severity"]), name
        for used in METRIC.findall(rule["expr"]):
            assert _base(used) in defined, f"{name} uses undefined metric {used}"
        for used in SELECTOR.findall(rule["expr"]):
            known = used.startswith(("digital_actors_", "digital_actors:")) or used in EXPORTER_METRICS
            assert known, f"{name} reads {used}, which neither the app nor a standard exporter exports"
    # The error rate is what players saw per turn, not every retry and background call.
    assert "digital_actors_player_visible_errors_total" in alerts["DigitalActorsHighErrorRate"]["expr"]
    assert "digital_actors_errors_total" not in alerts["DigitalActorsHighErrorRate"]["expr"]


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    suite = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yml").read_text())
    cases = [c for test in suite["tests"] for c in test["alert_rule_test"]]
    for name, rule in _rules().items():
        if "alert" not in rule:
            continue
        mine = [c for c in cases if c["alertname"] == name]
        assert any(c["exp_alerts"] for c in mine), f"{name} is never shown firing"
        assert any(not c["exp_alerts"] for c in mine), f"{name} is never shown staying quiet"


def test_dashboard_uses_only_defined_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "digital-actors.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in METRIC.findall(e)}
    assert {"digital_actors_requests_total", "digital_actors_response_seconds", "digital_actors_active_sessions",
            "digital_actors_ws_disconnects_total", "digital_actors_errors_total",
            "digital_actors_tts_errors_total", "digital_actors_player_visible_errors_total",
            "digital_actors_llm_requests_total"} <= used
    [failed_turns] = [p for p in dashboard["panels"] if p["title"] == "Failed turns (player-visible)"]
    assert "digital_actors_player_visible_errors_total" in failed_turns["targets"][0]["expr"]
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


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="no promtool: `apt-get install prometheus` to check the configuration with it")
def test_promtool_checks_the_prometheus_configuration(tmp_path: Path) -> None:
    """prometheus.yml as the container reads it, its rule file where compose mounts it."""
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    assert "/etc/prometheus/alerts.yml" in config
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(config.replace("/etc/prometheus/alerts.yml", str(tmp_path / "alerts.yml")))
    result = subprocess.run(["promtool", "check", "config", "prometheus.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
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


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                    reason="no nginx (or openssl): `apt-get install nginx` to check the nginx example with it")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    """`nginx -t` on deploy/nginx/digital-actors.conf inside an http block, as conf.d files are included;
    certificates and log files moved into tmp_path (nginx -t opens both)."""
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=play.example.com", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx" / "digital-actors.conf").read_text()
    for production in ("/etc/letsencrypt/live/play.example.com/", "/var/log/nginx/"):
        site = site.replace(production, f"{tmp_path}/")
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "digital-actors.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n    access_log {tmp_path}/access.log;\n"
        f"    include {tmp_path}/conf.d/*.conf;\n}}\n")
    result = subprocess.run(["nginx", "-t", "-p", f"{tmp_path}/", "-e", f"{tmp_path}/error.log",
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.skipif(shutil.which("caddy") is None,
                    reason="no caddy: `apt-get install caddy` (2.6.2 on Debian 12) to check the Caddyfile with it")
def test_caddy_adapts_the_caddyfile() -> None:
    """The Caddyfile adapts on the Caddy installed here (2.6.2 on Debian 12): the directives Caddy 2.6
    refuses (stream_close_delay, stream_timeout: 2.7+) stay commented out."""
    caddyfile = DEPLOY / "caddy" / "Caddyfile"
    live = [line.strip() for line in caddyfile.read_text().splitlines() if not line.strip().startswith("#")]
    assert not [line for line in live if line.startswith(("stream_close_delay", "stream_timeout"))]
    result = subprocess.run(["caddy", "adapt", "--config", str(caddyfile), "--adapter", "caddyfile"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    adapted = json.loads(result.stdout)
    [server] = adapted["apps"]["http"]["servers"].values()
    assert "play.example.com" in json.dumps(server["routes"]) and '"upstreams"' in json.dumps(server["routes"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze to verify the unit with")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    """No warning from `systemd-analyze verify` (it only warns, exit 0, on a bad value: read stderr).
    ExecStart points at this venv's program, as /opt/digital-actors/bin would."""
    unit = (DEPLOY / "systemd" / "digital-actors.service").read_text()
    assert "ExecStart=/opt/digital-actors/bin/digital-actors serve" in unit
    copy = tmp_path / "digital-actors.service"
    program = Path(sys.prefix) / "bin" / "digital-actors"
    copy.write_text(unit.replace("/opt/digital-actors/bin/digital-actors", str(program)))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
