from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import structlog

from digital_actors import paths
from digital_actors.config import Settings
from digital_actors.logging import configure_logging, short_hash


def test_defaults_env_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PORT=9000\nLOG_LEVEL=debug\nELEVENLABS_VOICE_CAPTAIN_HALE=voice123\n")
    monkeypatch.setenv("PORT", "9100")  # the environment beats .env
    s = Settings(_env_file=".env")  # type: ignore[call-arg]  # the suite reads no .env unless asked
    assert s.port == 9100 and s.log_level == "DEBUG" and s.voice_for("captain_hale") == "voice123"
    assert Settings(_env_file=None).port == 9100  # type: ignore[call-arg]


def test_port_default_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().port == 8080
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match=r"LOG_LEVEL|log_level"):
        Settings()


def test_secrets_are_masked_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-abcdefghijkl")
    monkeypatch.setenv("SENTRY_DSN", "https://key@example.invalid/1")
    s = Settings()
    for text in (repr(s), str(s), json.dumps(s.public_view())):
        assert "abcdefghijkl" not in text and "key@example" not in text
    assert s.anthropic_api_key is not None and s.anthropic_api_key.get_secret_value().endswith("ijkl")


def test_paths_follow_digital_actors_home(isolated_home: Path) -> None:
    assert paths.data_dir() == isolated_home / "data"
    assert paths.cache_dir() == isolated_home / "cache"
    assert paths.user_scenes_dir() == isolated_home / "data" / "scenes"
    assert (paths.builtin_scenes_dir() / "welcome" / "scene.toml").is_file()


def test_json_logs_have_the_guide_fields_and_no_secrets() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", json=True, env="production", stream=stream)
    try:
        structlog.get_logger().info("turn", event_type="dialogue_generated", session_id=short_hash("tok"),
                                    response_time_ms=12.5, api_key="sk-ant-abcdefghijkl",
                                    note="uses sk-ant-abcdefghijkl inline")
        structlog.get_logger().debug("hidden")
    finally:
        configure_logging(level="WARNING")
    [line] = stream.getvalue().strip().splitlines()
    record = json.loads(line)
    assert record["severity"] == "INFO" and "@timestamp" in record and record["env"] == "production"
    assert record["event_type"] == "dialogue_generated" and record["session_id"] == short_hash("tok")
    assert "abcdefghijkl" not in line


def test_a_log_file_is_handed_back_to_be_closed(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "game.log"
    opened = configure_logging(level="INFO", file=log_file)
    try:
        assert opened is not None and not opened.closed
        structlog.get_logger().info("into_the_file", scene="welcome")
    finally:
        configure_logging(level="WARNING")
        if opened is not None:
            opened.close()
    assert "into_the_file" in log_file.read_text(encoding="utf-8")
    assert configure_logging(level="WARNING") is None  # a stream given or stderr: nothing to close
