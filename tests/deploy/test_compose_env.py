"""``docker compose up`` hands the app every line of ``.env``: every ``Settings`` field and the
``ELEVENLABS_VOICE_<ID>`` overrides reach the container and mean there what they mean on a host;
only the container's own layout is pinned; ``.env`` is optional. Without a Docker engine the
container's environment is worked out as the Compose specification defines it (``compose.py``)
and, where Compose 2 is installed, checked against ``docker compose config`` itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from digital_actors.config import Settings
from tests.deploy.compose import container_env, image_env

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("app", "app-dev")
# The container's own layout, pinned by `environment` whatever .env says, and why (reviewed).
PINNED = {
    "app": {
        "PORT": ("8888", "the port the image exposes, publishes (8888:8888) and health-checks"),
        "HOST": ("0.0.0.0", "a container must listen on all its interfaces to be reached at all"),
        "DIGITAL_ACTORS_HOME": ("/app", "data/ and cache/ are the volumes mounted under /app"),
        "DIGITAL_ACTORS_DB": ("/app/data/player_memory.db", "the memory database on the data volume"),
    },
    "app-dev": {
        "PORT": ("8888", "published as DEV_PORT:8888"),
        "HOST": ("0.0.0.0", "reachable from the host"),
        "DIGITAL_ACTORS_HOME": ("/dev-home", "the dev-home volume, out of the mounted source tree"),
        "DIGITAL_ACTORS_DB": ("/dev-home/data/player_memory.db", "the memory database on dev-home"),
    },
}
# A value for every setting, none of them its default, as an operator's .env would hold them.
DOTENV = {
    "anthropic_api_key": "sk-ant-from-dotenv",
    "anthropic_model": "claude-sonnet-4-5",
    "anthropic_base_url": "http://anthropic-proxy.internal:8080",
    "openai_api_key": "sk-openai-from-dotenv",
    "openai_model": "llama3.1:8b",
    "openai_base_url": "http://ollama.internal:11434/v1",
    "google_api_key": "google-from-dotenv",
    "gemini_model": "gemini-2.5-pro",
    "llm_provider": "gemini",
    "llm_timeout_seconds": "31.5",
    "llm_first_token_timeout_seconds": "9.5",
    "llm_max_retries": "4",
    "llm_breaker_failure_threshold": "5",
    "llm_breaker_cooldown_seconds": "20",
    "llm_breaker_max_cooldown_seconds": "240",
    "director_llm": "true",
    "director_llm_cooldown_seconds": "45",
    "suggestions": "false",
    "elevenlabs_api_key": "el-from-dotenv",
    "elevenlabs_model": "eleven_multilingual_v2",
    "elevenlabs_preserve_audio_tags": "false",
    "elevenlabs_base_url": "http://elevenlabs-proxy.internal",
    "voice": "false",
    "voice_cache_mb": "512",
    "voice_workers": "3",
    "voice_provider": "elevenlabs",
    "piper_model_path": "/models/piper/en_GB.onnx",
    "kokoro_model_path": "/models/kokoro-v1.0.onnx",
    "kokoro_voices_path": "/models/voices-v1.0.bin",
    "host": "127.0.0.1",
    "port": "8080",
    "allowed_origins": "https://play.example.com,https://www.play.example.com",
    # A secret with a `$` in it, single-quoted as docker-compose.yml asks: literal for both readers.
    "metrics_token": "'scrape$token'",
    "session_token_ttl_seconds": "300",
    "ws_resume_seconds": "60",
    "ws_heartbeat_seconds": "25",
    "ws_max_message_bytes": "4096",
    "ws_rate_per_second": "3",
    "ws_rate_burst": "9",
    "ws_rate_abuse_limit": "20",
    "web_max_sessions": "250",
    "web_max_sessions_per_client": "4",
    "session_rate_per_minute": "6",
    "session_rate_burst": "3",
    "trusted_proxies": "127.0.0.1,172.16.0.0/12",
    "http_header_timeout_seconds": "15",
    "http_body_timeout_seconds": "12",
    "redis_url": "redis://:from-dotenv@redis.internal:6379/2",
    "redis_max_connections": "25",
    "web_workers": "3",
    "log_level": "WARNING",
    "log_format_json": "false",
    "log_prompts": "true",
    "env": "staging",
    "sentry_dsn": "https://key@sentry.example.com/42",
    "sentry_environment": "staging-eu",
    "sentry_traces_sample_rate": "0.25",
    "digital_actors_scenes": "/srv/scenes",
    "digital_actors_db": "/home/me/.local/share/digital-actors/player_memory.db",
    "database_url": "postgresql://da:pw@db.internal:5432/digital_actors",
    "memory_db_pool_min_size": "2",
    "memory_db_pool_max_size": "8",
    "memory_db_acquire_timeout_seconds": "3",
    "memory_db_statement_timeout_seconds": "20",
    "memory_abandon_after_hours": "12",
    "memory_retry_max_seconds": "5",
}
VOICES = {"ELEVENLABS_VOICE_MARA_VANE": "21m00Tcm4TlvDq8ikWAM", "ELEVENLABS_VOICE_CAPTAIN_HALE": "SOYHLrjzK2X1ezoPC6cr"}


def project(tmp_path: Path, *, with_dotenv: bool) -> Path:
    """A copy of the compose project (the compose file and the Dockerfile) with an operator's .env."""
    folder = tmp_path / "project"
    folder.mkdir(parents=True)
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, folder / name)
    if with_dotenv:
        lines = ["# an operator's .env", *(f"{k.upper()}={v}" for k, v in DOTENV.items()),
                 *(f"{k}={v}" for k, v in VOICES.items()), "export DIGITAL_ACTORS_HOME=/home/me/da"]
        (folder / ".env").write_text("\n".join(lines) + "\n")
    return folder


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the app builds them from exactly ``env`` (no .env file read)."""
    with monkeypatch.context() as m:
        for name in Settings.model_fields:  # e.g. the suite's own VOICE=false
            m.delenv(name.upper(), raising=False)
        for key in env:
            m.setenv(key, env[key])
        return Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_table_names_every_setting() -> None:
    assert set(DOTENV) == set(Settings.model_fields) - {"elevenlabs_voices"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_in_dotenv_reaches_the_container_and_means_the_same(
        service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = project(tmp_path, with_dotenv=True)
    image = image_env(folder / "Dockerfile") if service == "app" else {}  # app-dev runs the builder stage
    without = settings_from(container_env(project(tmp_path / "bare", with_dotenv=False), service, image=image),
                            monkeypatch)
    env = container_env(folder, service, image=image)
    on_host = Settings(_env_file=folder / ".env")  # type: ignore[call-arg]
    in_container = settings_from(env, monkeypatch)
    pinned = PINNED[service]
    # LOG_FORMAT_JSON=false differs from the image's default (app) but is the dev service's own.
    same_as_without = {"log_format_json"} if service == "app-dev" else set()
    for field in Settings.model_fields:
        if field.upper() in pinned:
            assert str(getattr(in_container, field)) == pinned[field.upper()][0], field
            assert getattr(on_host, field) != getattr(in_container, field), field  # .env did say otherwise
        else:
            assert getattr(in_container, field) == getattr(on_host, field), field
            if field not in same_as_without:
                assert getattr(in_container, field) != getattr(without, field), f"{field}: .env did not reach it"
    assert in_container.voice_for("mara_vane") == "21m00Tcm4TlvDq8ikWAM"
    assert in_container.metrics_token is not None
    assert in_container.metrics_token.get_secret_value() == "scrape$token"
    assert env["DIGITAL_ACTORS_HOME"] == pinned["DIGITAL_ACTORS_HOME"][0]


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_container_layout_is_pinned(service: str) -> None:
    """Nothing the app reads is hard-coded against .env: `environment` holds the reviewed layout only."""
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]
    assert spec["env_file"] == [{"path": ".env", "required": False}]
    assert {k: str(v) for k, v in spec["environment"].items()} == {k: v for k, (v, _) in PINNED[service].items()}


def test_up_works_without_a_dotenv_and_the_image_defaults_apply(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = project(tmp_path, with_dotenv=False)
    env = container_env(folder, "app", image=image_env(folder / "Dockerfile"))
    assert "" not in env.values()  # no empty setting that a typed field would refuse
    settings = settings_from(env, monkeypatch)
    assert (settings.env, settings.log_format_json) == ("production", True)
    assert (settings.port, settings.host) == (8888, "0.0.0.0")
    assert settings.anthropic_api_key is None and settings.digital_actors_db == "/app/data/player_memory.db"


def test_dotenv_beats_the_image_defaults(tmp_path: Path) -> None:
    folder = project(tmp_path, with_dotenv=True)
    image = image_env(folder / "Dockerfile")
    assert (image["ENV"], image["LOG_FORMAT_JSON"]) == ("production", "true")
    env = container_env(folder, "app", image=image)
    assert (env["ENV"], env["LOG_FORMAT_JSON"]) == ("staging", "false")


def _compose() -> list[str] | None:
    """A Compose 2 command line, when one is installed (the `docker compose` plugin or `docker-compose`)."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        done = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip().lstrip("v").startswith("2."):
            return command
    return None


NO_COMPOSE = ("no Docker Compose 2 here (install Docker with the compose plugin, 2.24+, to compare); the "
              "simulation alone is checked, as in CI (Debian ships no Compose 2, and no Docker engine runs there)")


@pytest.mark.skipif(_compose() is None, reason=NO_COMPOSE)
@pytest.mark.parametrize("with_dotenv", [True, False])
def test_the_simulation_agrees_with_docker_compose_config(with_dotenv: bool, tmp_path: Path) -> None:
    command = _compose()
    assert command is not None
    folder = project(tmp_path, with_dotenv=with_dotenv)
    clean = {k: v for k, v in os.environ.items() if k.upper() not in {f.upper() for f in Settings.model_fields}}
    done = subprocess.run([*command, "--profile", "dev", "config", "--format", "json"], cwd=folder,
                          capture_output=True, text=True, timeout=60, env=clean)
    assert done.returncode == 0, done.stderr
    resolved = json.loads(done.stdout)["services"]
    for service in SERVICES:
        compose_says = {k: v.replace("$$", "$") for k, v in resolved[service]["environment"].items()}
        assert compose_says == container_env(folder, service), service
