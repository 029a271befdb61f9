from __future__ import annotations

import io
import json
import logging
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


def test_secret_values_are_every_secret_setting_that_is_set() -> None:
    s = Settings(_env_file=None, anthropic_api_key="ant-value-1", openai_api_key=" ",  # type: ignore[call-arg]
                 elevenlabs_api_key="eleven-value-2", metrics_token="metrics-value-3",
                 sentry_dsn="https://dsnkey4@sentry.example/1")
    assert set(s.secret_values()) == {"ant-value-1", "eleven-value-2", "metrics-value-3",
                                      "https://dsnkey4@sentry.example/1"}


def test_configured_secret_values_never_reach_a_log_line() -> None:
    """Values with no known shape (no sk- prefix) are redacted wherever they appear: fields, nested
    values, the event text, tracebacks and the standard library's lines; token counts are not."""
    stream = io.StringIO()
    secrets = ["plainkey-9f8e7d", "metrics-tok-55aa", "https://dsnkey4@sentry.example/1"]
    configure_logging(level="DEBUG", json=True, stream=stream, secrets=secrets)
    try:
        log = structlog.get_logger()
        log.info("llm_call_done", input_tokens=120, output_tokens=14, cache_read_tokens=3,
                 detail="provider said: invalid key plainkey-9f8e7d",
                 nested={"headers": ["Bearer metrics-tok-55aa"], "count": 2})
        try:
            raise RuntimeError("connect to https://dsnkey4@sentry.example/1 failed")
        except RuntimeError:
            log.exception("failed_with_traceback")
        logging.getLogger("anthropic._base_client").debug("Request options: %s", {"api_key": "x"})
        logging.getLogger("aiohttp.server").error("GET /ws?token=playertok123 HTTP/1.1 plainkey-9f8e7d")
        log.info("a url", url="wss://host/ws?x=1&token=playertok123", token="playertok123")
    finally:
        configure_logging(level="WARNING")
    text = stream.getvalue()
    for secret in [*secrets, "playertok123", "dsnkey4"]:
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    first = lines[0]
    assert (first["input_tokens"], first["output_tokens"], first["cache_read_tokens"]) == (120, 14, 3)
    assert first["detail"] == "provider said: invalid key [redacted]"
    assert first["nested"] == {"headers": ["Bearer [redacted]"], "count": 2}
    assert "RuntimeError" in lines[1]["exception"]
    assert lines[2] == {**lines[2], "event": "GET /ws?token=[redacted] HTTP/1.1 [redacted]",
                        "logger": "aiohttp.server", "severity": "ERROR"}  # no "Request options" line
    assert lines[3]["url"] == "wss://host/ws?x=1&token=[redacted]" and lines[3]["token"] == "[redacted]"
    assert len(lines) == 4
