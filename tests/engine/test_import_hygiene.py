"""The engine never imports a front end or a UI library (STYLE.md §1)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import digital_actors

FORBIDDEN = ("textual", "rich", "aiohttp", "tui", "web")


def engine_modules() -> list[str]:
    root = Path(digital_actors.__file__).parent
    names = [m.name for m in pkgutil.walk_packages([str(root)], prefix="digital_actors.")]
    return [n for n in names if n not in ("digital_actors.cli", "digital_actors.__main__")]


# Third-party libraries the engine uses. Some load UI-ish modules themselves (structlog
# imports rich when present; the anthropic and openai SDKs import aiohttp when present):
# those are theirs, not ours, so they form the baseline the engine must not add to.
THIRD_PARTY = ("structlog", "pydantic", "pydantic_settings", "simpleeval", "platformdirs", "click",
               "anthropic", "openai", "elevenlabs", "aiosqlite", "prometheus_client", "httpx")


def loaded_after(imports: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {imports!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as e:\n"  # optional extras (piper, kokoro, sounddevice's PortAudio)
        "        if (e.name or '').startswith('digital_actors'): raise\n"
        "    except OSError:\n"
        "        pass\n"
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return {m for m in out.stdout.strip().split(",") if m}


def test_importing_the_package_loads_nothing_forbidden() -> None:
    assert loaded_after(["digital_actors"]) == set()


def test_engine_modules_add_no_front_end_to_what_their_libraries_load() -> None:
    modules = engine_modules()
    assert "digital_actors.turn.session" in modules and len(modules) > 15
    baseline = loaded_after(list(THIRD_PARTY))
    loaded = loaded_after(modules)
    assert not loaded & {"textual", "tui", "web"}
    assert loaded <= baseline, f"the engine itself imported: {sorted(loaded - baseline)}"


def test_import_linter_contracts_hold() -> None:
    # The interpreter's own bin dir: the suite may run from a venv that is not activated.
    exe = Path(sys.executable).parent / "lint-imports"
    assert exe.exists(), "import-linter is part of the test extra: pip install -e '.[test]'"
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    assert out.returncode == 0, out.stdout + out.stderr
