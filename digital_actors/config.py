"""All settings in one frozen object: environment > ``.env`` > defaults. Secrets stay masked.

Every field's environment variable is its name in upper case (``port`` -> ``PORT``).
The same names are documented in ``.env.example`` and the README.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dotenv import dotenv_values
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from digital_actors import paths

MASK = "********"
VOICE_OVERRIDE = re.compile(r"^ELEVENLABS_VOICE_([A-Z0-9_]+)$")
# Which settings file to read: DIGITAL_ACTORS_ENV_FILE=/etc/digital-actors.env, or empty for none
# (the test suite sets it empty so a developer's .env never reaches a test).
ENV_FILE = os.environ.get("DIGITAL_ACTORS_ENV_FILE", ".env") or None


class Settings(BaseSettings):
    """Digital Actors settings. Build with ``Settings()`` (reads env and ``.env``)."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", frozen=True,
        case_sensitive=False,
    )

    # --- language models -------------------------------------------------------------
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic key; enables Claude as the actor.")
    anthropic_model: str = Field("claude-haiku-4-5", description="Claude model for actors, signals and the director.")
    anthropic_base_url: str | None = Field(None, description="Override the Anthropic API address (proxies, tests).")
    openai_api_key: SecretStr | None = Field(None, description="OpenAI key; used when no Anthropic key is set.")
    openai_model: str = Field("gpt-4o-mini", description="Model name for OpenAI-compatible servers.")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio).")
    google_api_key: SecretStr | None = Field(None, description="Google key; Gemini through its OpenAI-compatible endpoint.")
    gemini_model: str = Field("gemini-2.5-flash", description="Gemini model name.")
    llm_provider: Literal["auto", "anthropic", "openai", "gemini", "local", "understudy"] = Field(
        "auto", description="Who performs: a model provider, or understudy (no model); auto picks the first configured provider.")
    llm_timeout_seconds: float = Field(20.0, gt=0, description="Total time allowed for one model call.")
    llm_first_token_timeout_seconds: float = Field(8.0, gt=0, description="Time allowed to the first streamed token.")
    llm_max_retries: int = Field(2, ge=0, le=6, description="Retries on 429/5xx/overloaded before the fallback line.")
    llm_breaker_failure_threshold: int = Field(
        3, ge=1, description="Failed model calls in a row (connection, timeout, 5xx, overloaded, 429) "
                             "that open the circuit breaker: the understudy answers at once.")
    llm_breaker_cooldown_seconds: float = Field(
        15.0, gt=0, description="Seconds the breaker stays open before one probe call; doubles after "
                                "each failed probe.")
    llm_breaker_max_cooldown_seconds: float = Field(
        120.0, gt=0, description="Longest wait between probes while the provider stays down.")
    director_llm: bool = Field(False, description="Let a model add director decisions on top of the scene's rules.")
    director_llm_cooldown_seconds: float = Field(
        30.0, gt=0, description="Scene seconds between two director-model decisions.")
    suggestions: bool = Field(True, description="Offer up to three short replies after each line.")

    # --- voice -------------------------------------------------------------------------
    elevenlabs_api_key: SecretStr | None = Field(None, description="ElevenLabs key; enables streamed voices.")
    elevenlabs_model: str = Field("eleven_flash_v2_5", description="ElevenLabs model for speech.")
    elevenlabs_preserve_audio_tags: bool = Field(True, description="Send [sighs]-style tags to a model that performs them.")
    elevenlabs_base_url: str | None = Field(None, description="Override the ElevenLabs API address (tests).")
    voice: bool = Field(True, description="Speak lines aloud when a voice and an audio device are available.")
    voice_cache_mb: int = Field(200, ge=0, description="Size bound of the on-disk voice cache (MiB).")
    voice_provider: Literal["auto", "elevenlabs", "piper", "kokoro", "off"] = Field(
        "auto", description="Which voice speaks: auto = ElevenLabs with a key, else Kokoro when its files are set, else Piper when installed.")
    piper_model_path: str | None = Field(None, description="A Piper .onnx voice (its .onnx.json beside it); default: the packaged en_US voice.")
    kokoro_model_path: str | None = Field(None, description="Kokoro ONNX model file (e.g. kokoro-v1.0.onnx) for the kokoro extra.")
    kokoro_voices_path: str | None = Field(None, description="Kokoro voices file (e.g. voices-v1.0.bin) for the kokoro extra.")
    voice_workers: int = Field(
        0, ge=0, description="Sentences a local voice (Piper, Kokoro) synthesises at once; 0 = one per usable CPU core.")

    # --- server ------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `digital-actors serve` listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port `digital-actors serve` listens on.")
    allowed_origins: str = Field("", description="Extra WebSocket origins allowed, comma-separated.")
    metrics_token: SecretStr | None = Field(None, description="If set, /metrics requires this bearer token.")
    session_token_ttl_seconds: float = Field(
        60.0, gt=0, description="A web session token must open its WebSocket within this many seconds; an unused one is then forgotten (the page connects at once, so a flood of tokens cannot hold places for long).")
    ws_resume_seconds: float = Field(
        120.0, ge=0, description="A dropped WebSocket's session is paused and kept this long for a reconnect.")
    ws_heartbeat_seconds: float = Field(20.0, gt=0, description="WebSocket ping interval; a silent peer is dropped.")
    ws_max_message_bytes: int = Field(
        8192, ge=256, description="Largest WebSocket message a browser may send; larger ones close with 1009.")
    ws_rate_per_second: float = Field(5.0, gt=0, description="Messages per second a WebSocket may send, sustained.")
    ws_rate_burst: int = Field(15, ge=1, description="Messages a WebSocket may send in a burst above the rate.")
    ws_rate_abuse_limit: int = Field(
        30, ge=1, description="Messages in a row over the rate limit before the socket is closed (1008).")
    web_max_sessions: int = Field(
        1000, ge=1, description="Player sessions one server process holds. At the cap a new player takes the place of the oldest token that never connected; when every place has a socket, 503 (scale out instead).")
    web_max_sessions_per_client: int = Field(
        10, ge=1, description="Sessions one client address (an IPv6 /64) may hold at once; more get 429. Raise it when many players share one address (a school, an office, carrier-grade NAT).")
    session_rate_per_minute: float = Field(
        10.0, gt=0, description="New sessions (POST /api/session) one client address may open per minute, sustained; more get 429 with Retry-After.")
    session_rate_burst: int = Field(
        10, ge=1, description="New sessions one client address may open at once, above the sustained rate.")
    trusted_proxies: str = Field(
        "", description="Reverse proxies whose X-Forwarded-For (else Forwarded) header names the client, as comma-separated addresses or CIDRs (127.0.0.1, 10.0.0.0/8, ::1). Only a direct peer in this list is believed; empty: the peer is the client.")
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's headers, from connecting (or from the previous response on a kept-alive connection); idle kept-alive connections close after it too.")
    http_body_timeout_seconds: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's body once its headers are in; a slower one gets 408 and the connection closes.")
    redis_url: SecretStr | None = Field(
        None, description="Redis shared by every server process and machine (redis://host:6379/0; rediss:// for TLS): session tokens, per-client limits and a snapshot of each live session, so a player who reconnects to any of them, or whose server died, goes on with the scene. Needed by `serve --workers` above 1. Empty: sessions live in the process that issued them.")
    redis_max_connections: int = Field(
        50, ge=1, le=10000, description="Connections each server process may open to Redis; more callers at once wait their turn (up to 2 s) rather than fail. Redis accepts 10,000 clients by default: keep processes x this below it.")
    web_workers: int = Field(
        1, ge=1, le=64, description="Processes `digital-actors serve` runs on its one port (the kernel spreads connections among them); above 1 needs REDIS_URL. Local voices get the usable cores divided among them.")

    # --- logs and errors -------------------------------------------------------------
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format_json: bool = Field(False, description="JSON log lines (for log collectors) instead of console lines.")
    log_prompts: bool = Field(False, description="Write whole model prompts (players' words included) to the log at DEBUG; off: never.")
    env: str = Field("development", description="Deployment environment name, logged with every line.")
    sentry_dsn: SecretStr | None = Field(None, description="Sentry DSN; error reporting is off when unset.")
    sentry_environment: str | None = Field(None, description="Sentry environment (defaults to ENV).")
    sentry_traces_sample_rate: float = Field(0.0, ge=0, le=1, description="Share of requests traced by Sentry.")

    # --- files -------------------------------------------------------------------------
    digital_actors_scenes: str = Field("", description="Extra scene folders, separated by the OS path separator.")
    digital_actors_db: str | None = Field(None, repr=False, description="Player-memory database: a path, a sqlite:/// URL, or a postgresql://user:password@host:5432/dbname URL (the password is never shown or logged).")
    database_url: str | None = Field(None, repr=False, description="The player-memory database when DIGITAL_ACTORS_DB is unset (hosting platforms set DATABASE_URL): a postgresql:// or sqlite:/// URL. DIGITAL_ACTORS_DB wins when both are set.")
    memory_db_pool_min_size: int = Field(1, ge=0, le=100, description="PostgreSQL: connections each process keeps open to the memory database.")
    memory_db_pool_max_size: int = Field(10, ge=1, le=200, description="PostgreSQL: most connections one process opens to the memory database (the server's max_connections is shared by every process).")
    memory_db_acquire_timeout_seconds: float = Field(5.0, gt=0, description="PostgreSQL: how long an operation waits for a free pooled connection (or for the server to accept one) before it fails; a write that fails is kept and retried.")
    memory_db_statement_timeout_seconds: float = Field(10.0, gt=0, description="PostgreSQL: longest one memory-database statement may run (statement_timeout) before the server cancels it.")
    memory_abandon_after_hours: float = Field(
        24.0, gt=0, description="Attempts still in progress after this many hours (a player who never came back, a crash) are marked abandoned, at start and daily while serving.")
    memory_retry_max_seconds: float = Field(
        10.0, gt=0, description="Longest wait between two tries of a player-memory write the database refused (locked, disk full); it is kept until it lands.")

    # --- derived -----------------------------------------------------------------------
    elevenlabs_voices: dict[str, str] = Field(default_factory=dict, description="ELEVENLABS_VOICE_<ID> overrides.")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{part.strip()!r} is not an address or CIDR (e.g. 10.0.0.0/8)") from None
        return value

    @model_validator(mode="after")
    def _pool_sizes(self) -> Settings:
        if self.memory_db_pool_max_size < self.memory_db_pool_min_size:
            raise ValueError("MEMORY_DB_POOL_MAX_SIZE must be at least MEMORY_DB_POOL_MIN_SIZE")
        return self

    @model_validator(mode="after")
    def _breaker_cooldowns(self) -> Settings:
        if self.llm_breaker_max_cooldown_seconds < self.llm_breaker_cooldown_seconds:
            raise ValueError("LLM_BREAKER_MAX_COOLDOWN_SECONDS must be at least "
                             "LLM_BREAKER_COOLDOWN_SECONDS")
        return self

    def __init__(self, **values: Any) -> None:
        if "elevenlabs_voices" not in values:
            values["elevenlabs_voices"] = _voice_overrides(values.get("_env_file", self.model_config.get("env_file")))
        super().__init__(**values)

    def scene_dirs(self) -> list[Path]:
        """Extra scene folders from DIGITAL_ACTORS_SCENES."""
        return [Path(p).expanduser() for p in self.digital_actors_scenes.split(os.pathsep) if p.strip()]

    def memory_database(self) -> str | None:
        """Where player memory lives: DIGITAL_ACTORS_DB, else DATABASE_URL, else None (the default file)."""
        for value in (self.digital_actors_db, self.database_url):
            if value and value.strip():
                return value
        return None

    def voice_for(self, character_id: str) -> str | None:
        """The ELEVENLABS_VOICE_<CHARACTER_ID> override for a character, if any."""
        return self.elevenlabs_voices.get(character_id.upper())

    def secret_values(self) -> tuple[str, ...]:
        """Every secret setting's value that is set (API keys, the Sentry DSN, the metrics token
        ...): the logs redact each wherever it appears."""
        found: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value().strip():
                found.append(value.get_secret_value().strip())
        return tuple(found)

    def public_view(self) -> dict[str, str]:
        """Every setting as text, secrets masked: safe to print or log."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name.upper()] = "********" if value.get_secret_value() else ""
            elif value is None:
                out[name.upper()] = ""
            else:
                out[name.upper()] = mask_url(str(value))  # a database or proxy URL's password
        return out


def _voice_overrides(env_file: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(env_file, str | Path) and Path(env_file).is_file():
        for key, value in dotenv_values(env_file).items():
            match = VOICE_OVERRIDE.match(key.upper())
            if match and value:
                found[match.group(1)] = value
    for key, value in os.environ.items():
        match = VOICE_OVERRIDE.match(key.upper())
        if match and value:
            found[match.group(1)] = value
    return found


def mask_url(url: str, replacement: str | None = MASK) -> str:
    """A database URL with its password replaced by ``replacement`` (None: removed with its colon).

    Text that is not a URL with credentials comes back unchanged."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return re.sub(r"(://[^:/@]*):[^@]*@", lambda m: f"{m.group(1)}:{replacement}@" if replacement is not None
                      else f"{m.group(1)}@", url)
    netloc = parts.netloc
    if password is not None:
        user, _, host = netloc.rpartition("@")
        name = user.split(":", 1)[0]
        netloc = f"{name}:{replacement}@{host}" if replacement is not None else f"{name}@{host}"
    query = parts.query
    if query and "password=" in query.lower():
        pairs = [(k, replacement or "") if k.lower() == "password" else (k, v)
                 for k, v in parse_qsl(query, keep_blank_values=True)]
        pairs = [(k, v) for k, v in pairs if not (k.lower() == "password" and replacement is None)]
        query = urlencode(pairs, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def default_db_path() -> Path:
    """``player_memory.db`` in the data dir (under DIGITAL_ACTORS_HOME when set)."""
    return paths.data_dir() / "player_memory.db"
