"""The compose ``scale`` profile (PostgreSQL, Redis, app replicas, Caddy, monitoring of every replica),
checked without a Docker engine: the compose file as Compose reads it (``compose.py``), the Caddyfile
as Caddy adapts it, and the same processes run outside containers — two real ``serve`` replicas and
a real Redis behind a real Caddy with ``Caddyfile.scale``: a player's replica is killed and the
player's reconnect through the proxy goes on with the scene on the other."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from digital_actors.config import Settings
from tests.deploy.compose import container_env, image_env
from tests.deploy.test_compose_env import project, settings_from
from tests.redis_server import free_port
from tests.web.serving import GUARD, Served
from tests.web.test_failover import SCENE, frames_until, saved

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile.scale"
REPLICAS = ("app-1", "app-2")


def services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def test_the_scale_profile_has_its_parts_and_only_the_proxy_is_published() -> None:
    compose = services()
    scale = sorted(name for name, spec in compose.items() if spec.get("profiles") == ["scale"])
    assert scale == ["app-1", "app-2", "postgres", "proxy", "redis"]
    one, two = (compose[name] for name in REPLICAS)
    assert {k: v for k, v in one.items() if k != "volumes"} == {k: v for k, v in two.items() if k != "volumes"}
    for replica in (one, two):
        assert "ports" not in replica and replica["expose"] == ["8888"] and replica["read_only"] is True
        assert replica["depends_on"] == {"redis": {"condition": "service_healthy"},
                                         "postgres": {"condition": "service_healthy"}}
        assert replica["stop_grace_period"] == "30s"
    assert one["volumes"] != two["volumes"]  # each replica keeps its own spool of memory writes
    for backing in ("redis", "postgres"):
        assert compose[backing]["healthcheck"]["test"][0] == "CMD" and "ports" not in compose[backing]
    assert "--save" in compose["redis"]["command"] and "noeviction" in compose["redis"]["command"]
    proxy = compose["proxy"]
    assert "./deploy/caddy/Caddyfile.scale:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert proxy["ports"] == ["${SCALE_PORT:-8080}:80", "${SCALE_TLS_PORT:-8443}:443"]
    assert sorted(proxy["depends_on"]) == list(REPLICAS)
    assert "/health" in " ".join(proxy["healthcheck"]["test"])
    upstreams = next(line.split()[1:-1] for line in CADDYFILE.read_text().splitlines()
                     if line.strip().startswith("reverse_proxy "))
    assert upstreams == [f"{name}:8888" for name in REPLICAS]  # every replica, and only them
    jobs = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())["scrape_configs"]
    found = [job["dns_sd_configs"][0]["names"] for job in jobs if "dns_sd_configs" in job]
    assert len(found) == 2 and all(set(REPLICAS) <= set(names) for names in found)  # scraped and probed, each


@pytest.mark.parametrize("replica", REPLICAS)
def test_a_replica_gets_the_operators_settings_and_the_shared_stores(replica: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = project(tmp_path, with_dotenv=True)
    (folder / ".env").write_text((folder / ".env").read_text() + "POSTGRES_PASSWORD=s3cret\n")
    env = container_env(folder, replica, image=image_env(folder / "Dockerfile"))
    settings = settings_from(env, monkeypatch)
    on_host = Settings(_env_file=folder / ".env")  # type: ignore[call-arg]
    assert settings.redis_url is not None and settings.redis_url.get_secret_value() == "redis://redis:6379/0"
    assert settings.digital_actors_db == "postgresql://digital_actors:s3cret@postgres:5432/digital_actors"
    assert (settings.port, settings.host, settings.web_workers) == (8888, "0.0.0.0", 1)
    assert settings.trusted_proxies == "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
    assert settings.anthropic_api_key == on_host.anthropic_api_key and settings.env == on_host.env
    more = container_env(folder, replica, shell={"SCALE_WORKERS": "2"})
    assert more["WEB_WORKERS"] == "2"


@pytest.mark.skipif(shutil.which("caddy") is None,
                    reason="no caddy: `apt-get install caddy` (2.6.2 on Debian 12) to check Caddyfile.scale with it")
def test_caddy_adapts_the_scale_caddyfile() -> None:
    result = subprocess.run(["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "SITE_ADDRESS": ":80"})
    assert result.returncode == 0, result.stderr
    [server] = json.loads(result.stdout)["apps"]["http"]["servers"].values()
    proxy = _find(server["routes"], "reverse_proxy")
    assert [u["dial"] for u in proxy["upstreams"]] == [f"{name}:8888" for name in REPLICAS]
    assert proxy["health_checks"]["active"]["uri"] == "/health"
    assert proxy["load_balancing"]["selection_policy"] == {"name": "lb", "policy": "cookie"}
    assert server["listen"] == [":80"]


def _find(node: Any, handler: str) -> dict[str, Any]:
    if isinstance(node, dict):
        if node.get("handler") == handler:
            return node
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            with_handler = _find(item, handler) if isinstance(item, dict | list) else None
            if with_handler:
                return with_handler
    return {}


async def _caddy(tmp_path: Path, port: int, upstreams: list[int]) -> asyncio.subprocess.Process:
    """Caddy with Caddyfile.scale, the compose names replaced by these local upstreams."""
    text = CADDYFILE.read_text().replace(" ".join(f"{n}:8888" for n in REPLICAS),
                                         " ".join(f"127.0.0.1:{p}" for p in upstreams))
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n}\n" + text.replace("output stdout", "output discard"))
    env = {**os.environ, "SITE_ADDRESS": f"http://127.0.0.1:{port}", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = await asyncio.create_subprocess_exec("caddy", "run", "--config", str(config), "--adapter", "caddyfile",
                                                env=env, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    async with asyncio.timeout(GUARD):
        while b"serving initial configuration" not in (line := await proc.stderr.readline()):
            assert line, "caddy exited at start"
    asyncio.get_running_loop().create_task(proc.stderr.read())  # keep its log flowing
    return proc


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("caddy") is None,
                    reason="no caddy: `apt-get install caddy` to run the replicas behind the shipped proxy")
async def test_behind_caddy_a_killed_replicas_players_go_on_on_the_other(tmp_path: Path, redis_url: str) -> None:
    scenes = tmp_path / "scenes" / "failover"
    scenes.mkdir(parents=True)
    (scenes / "scene.toml").write_text(SCENE, encoding="utf-8")
    shared = {"REDIS_URL": redis_url, "DIGITAL_ACTORS_DB": str(tmp_path / "memory.db"),
              "DIGITAL_ACTORS_SCENES": str(scenes.parent), "TRUSTED_PROXIES": "127.0.0.1"}
    replicas = [await Served.start(tmp_path / name, free_port(), env=shared) for name in REPLICAS]
    port = free_port()
    caddy = await _caddy(tmp_path, port, [r.port for r in replicas])
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # `lb` pins it
            async with browser.post(f"{base}/api/session") as r:
                assert r.status == 200 and "lb" in {c.key for c in browser.cookie_jar}
                token = (await r.json())["token"]
            async with browser.ws_connect(f"{base}/ws?token={token}") as ws:
                await ws.send_json({"type": "start", "scene": "failover"})
                await frames_until(ws, "LineFinished", text="Operator.")
                await ws.send_json({"type": "say", "text": "hello there"})
                await frames_until(ws, "LineFinished", text="Hello, caller. Connecting you.")
                await saved(redis_url, token, "Hello, caller. Connecting you.")
                [mine] = [r for r in replicas if await _sockets(browser, r) == 1]
                await mine.kill()
                async for _ in ws:
                    pass
            async with browser.ws_connect(f"{base}/ws?token={token}") as ws:  # the same cookie: a dead replica
                await ws.send_json({"type": "resume"})
                snap, _ = await frames_until(ws, "Snapshot")
                assert snap["view"]["phase"] == "Talking"
                await ws.send_json({"type": "say", "text": "what is your name?"})
                await frames_until(ws, "LineFinished", text="Ann, from the exchange.")
        [other] = [r for r in replicas if r is not mine]
        moved = await other.logs.until("session_moved")
        assert moved[0]["outcome"] == "resumed"
    finally:
        caddy.terminate()
        await caddy.wait()
        for replica in replicas:
            await replica.kill()


async def _sockets(http: aiohttp.ClientSession, replica: Served) -> float:
    """The WebSockets a replica holds now (its own /metrics, not through the proxy)."""
    async with http.get(f"{replica.base}/metrics") as r:
        text = await r.text()
    return float(next(line.split()[1] for line in text.splitlines()
                      if line.startswith("digital_actors_ws_connections ")))
