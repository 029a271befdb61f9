"""The web server and a model provider that goes down and comes back: the performer is prepared
(SDK imported, key checked) before the first player, /health says "degraded" while the circuit
breaker is open and exactly "ok" once a probe succeeds, and the breaker metrics follow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import MemoryStoreError
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.sse_server import Reply
from tests.web.conftest import open_ws, until
from web import create_app
from web.keys import ENGINE
from web.keys import REGISTRY as SESSIONS

ROOT = Path(__file__).parents[2]
COOLDOWN = 15.0
UNAVAILABLE = Reply(status=503, error_type="api_error", error_message="upstream unavailable")


def healthy() -> Reply:
    """Lines stream "Right here."; the judge's structured call answers "no"."""
    return Reply(chunks=["Right", " here", "."], tool_input={"kind": False})
Client = TestClient[web.Request, web.Application]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def provider() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic(default=healthy()) as server:
        yield server


@pytest.fixture
def model_settings(settings_factory: Callable[..., Settings], provider: FakeAnthropic) -> Settings:
    return settings_factory(anthropic_api_key="sk-ant-fake", anthropic_base_url=provider.url,
                            anthropic_model="claude-test", llm_max_retries=0, suggestions=False,
                            llm_breaker_cooldown_seconds=COOLDOWN)


async def start(settings: Settings, clock: FakeClock) -> tuple[Client, Engine]:
    engine = Engine(settings, clock=clock)
    client: Client = TestClient(TestServer(create_app(settings, engine=engine, pace=0)))
    await client.start_server()
    return client, engine


async def test_the_casting_is_ready_before_the_first_player(
        model_settings: Settings, provider: FakeAnthropic, clock: FakeClock) -> None:
    client, engine = await start(model_settings, clock)
    try:
        assert len(client.app[SESSIONS]) == 0
        assert [s.body["max_tokens"] for s in provider.seen] == [5]  # the start-up check, done
        status = engine.model_status
        assert status is not None and status.provider == "anthropic" and status.state == "closed"
        assert await (await client.get("/health")).json() == {"status": "ok"}
    finally:
        await client.close()


async def test_health_is_degraded_while_the_breaker_is_open_then_ok_again(
        model_settings: Settings, provider: FakeAnthropic, clock: FakeClock) -> None:
    opened = sample("digital_actors_llm_breaker_transitions_total", provider="anthropic",
                    state="open")
    closed = sample("digital_actors_llm_breaker_transitions_total", provider="anthropic",
                    state="closed")
    provider.default = UNAVAILABLE  # down when the server starts
    client, _engine = await start(model_settings, clock)
    try:
        response = await client.get("/health")
        body = await response.json()
        assert response.status == 200  # the server still serves every player (the understudy)
        assert body["status"] == "degraded" and len(body["reasons"]) == 1
        assert body["reasons"][0].startswith("anthropic model unreachable since ")
        assert "HTTP 503" in body["reasons"][0]
        assert body["reasons"][0].endswith("; the understudy is answering")
        assert sample("digital_actors_llm_breaker_state", provider="anthropic") == 2
        assert sample("digital_actors_llm_breaker_transitions_total", provider="anthropic",
                      state="open") == opened + 1
        exposed = await (await client.get("/metrics")).text()
        assert 'digital_actors_llm_breaker_state{provider="anthropic"} 2.0' in exposed

        ws = await open_ws(client)
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "LineFinished")  # the authored opening
        await ws.send_json({"type": "say", "text": "name?"})
        line, _ = await until(ws, "LineFinished")
        assert line["text"] == "Bob."  # the understudy, at once
        assert len(provider.seen) == 1  # only the start-up check ever reached the provider

        provider.default = healthy()
        await clock.advance(COOLDOWN)
        await ws.send_json({"type": "say", "text": "are you there?"})
        # the line is the probe (the judgement beside it fails fast); it closes the breaker
        await until(ws, "LineFinished", lambda f: f["text"] == "Right here.")
        back, _ = await until(ws, "Notice")
        assert back["message"] == "The character is improvising again."  # the player's words (web/wording.py)
        assert back["topic"] == "model_back" and back["level"] == "info"
        assert [s.body.get("stream") for s in provider.seen[1:]] == [True]
        await ws.close()

        response = await client.get("/health")
        assert (response.status, await response.json()) == (200, {"status": "ok"})
        assert sample("digital_actors_llm_breaker_state", provider="anthropic") == 0
        assert sample("digital_actors_llm_breaker_transitions_total", provider="anthropic",
                      state="closed") == closed + 1
    finally:
        await client.close()


async def test_memory_trouble_still_wins_over_a_degraded_model(
        model_settings: Settings, provider: FakeAnthropic, clock: FakeClock) -> None:
    provider.default = UNAVAILABLE
    client, _engine = await start(model_settings, clock)
    try:
        client.app[ENGINE].memory_error = MemoryStoreError("database is locked")
        response = await client.get("/health")
        assert response.status == 503 and (await response.json())["status"] == "unavailable"
    finally:
        await client.close()


def test_app_start_up_imports_the_sdk_before_any_session(scenes_dir: Path) -> None:
    """In a fresh interpreter: no SDK before start-up, the SDK and the casting after it, and no
    session yet. ``import_provider`` (what ``serve`` calls before the loop) does the same."""
    script = textwrap.dedent(f"""
        import asyncio, json, sys
        from aiohttp import web
        from digital_actors.config import Settings
        from digital_actors.llm.select import import_provider
        from tests.fakes.anthropic_server import FakeAnthropic
        from web import create_app
        from web.keys import ENGINE, REGISTRY

        async def main():
            out = {{"at_import": "anthropic" in sys.modules}}
            async with FakeAnthropic() as server:
                settings = Settings(_env_file=None, anthropic_api_key="sk-ant-fake",
                                    anthropic_base_url=server.url,
                                    digital_actors_scenes={str(scenes_dir)!r})
                app = create_app(settings, pace=0)
                out["before_start"] = "anthropic" in sys.modules
                runner = web.AppRunner(app)
                await runner.setup()
                out["after_start"] = "anthropic" in sys.modules
                out["sessions"] = len(app[REGISTRY])
                out["model"] = app[ENGINE].model_status.provider
                out["requests"] = len(server.seen)
                await runner.cleanup()
            return out

        result = asyncio.run(main())
        understudy = Settings(_env_file=None)
        result["understudy_import"] = import_provider(understudy)
        result["still_no_openai"] = "openai" not in sys.modules
        module, seconds = import_provider(Settings(_env_file=None, openai_api_key="sk-fake"))
        result["openai_module"] = module
        result["openai_loaded"] = "openai" in sys.modules
        print(json.dumps(result))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=_clean_env())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"at_import": False, "before_start": False, "after_start": True,
                      "sessions": 0, "model": "anthropic", "requests": 1,
                      "understudy_import": None, "still_no_openai": True,
                      "openai_module": "digital_actors.llm.openai_compat", "openai_loaded": True}


def _clean_env() -> dict[str, str]:
    drop = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "OPENAI_BASE_URL",
            "LLM_PROVIDER", "ANTHROPIC_BASE_URL"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_serve_imports_the_sdk_before_the_event_loop_runs() -> None:
    """``serve`` imports the provider's SDK before ``run_app`` (stubbed here) starts the loop."""
    script = textwrap.dedent("""
        import json, sys
        from aiohttp import web
        from digital_actors.config import Settings
        from web.server import serve

        seen = {"at_import": "anthropic" in sys.modules}

        def run_app(app, **options):
            seen["before_run_app"] = "anthropic" in sys.modules

        web.run_app = run_app
        serve(Settings(_env_file=None, anthropic_api_key="sk-ant-fake", log_format_json=True), port=0)
        print("RESULT " + json.dumps(seen))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=_clean_env())
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert json.loads(line.removeprefix("RESULT ")) == {"at_import": False, "before_run_app": True}
    assert '"event": "provider_sdk_imported"' in done.stdout + done.stderr
