"""What Docker Compose puts in a service container's environment, worked out from the compose file
as the Compose specification defines it — this machine has no Docker engine, and CI has no Compose.

Layers, lowest first: the image's ``ENV`` (Dockerfile), each ``env_file`` in order (a missing one is
an error unless ``required: false``), then ``environment``. Values in env files and in the compose
file are interpolated (``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``$$``)
from the shell, then the project's ``.env`` (the shell wins); single-quoted env-file values are
literal. A bare key (``KEY`` with no ``=``) takes its value from there, or is left out.
``test_compose_env.py`` compares this with ``docker compose config`` wherever Compose 2 exists.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dotenv.parser import parse_stream

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}"
                       r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")


class ComposeError(Exception):
    """What ``docker compose`` would refuse."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's variable substitution (unset without a default -> empty, as Compose warns)."""

    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        value = variables.get(name)
        if match["op"] == ":-" and not value:
            return match["default"]
        if match["op"] == "-" and value is None:
            return match["default"]
        return value or ""

    return _VARIABLE.sub(one, text)


def read_env_file(path: Path, variables: Mapping[str, str]) -> dict[str, str]:
    """An env file's ``KEY=VALUE`` lines (comments, blank lines, ``export``, quotes as Compose reads them)."""
    out: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(path.read_text(encoding="utf-8"))):
        if binding.key is None:
            continue
        if binding.value is None:  # a bare key: from the shell / .env, else left out
            if binding.key in variables:
                out[binding.key] = variables[binding.key]
            continue
        raw = binding.original.string.split("=", 1)[1].lstrip()
        literal = raw.startswith("'")
        out[binding.key] = binding.value if literal else interpolate(binding.value, {**out, **variables})
    return out


def image_env(dockerfile: Path) -> dict[str, str]:
    """The final stage's ``ENV KEY=VALUE ...`` instructions."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    stages = re.split(r"(?m)^FROM\s", text)
    env: dict[str, str] = {}
    for line in stages[-1].splitlines():
        if line.startswith("ENV "):
            for word in shlex.split(line[4:]):
                key, sep, value = word.partition("=")
                if not sep:
                    raise ComposeError(f"ENV without '=' is not handled here: {line}")
                env[key] = value
    return env


def container_env(project: Path, service: str, *, shell: Mapping[str, str] = {},
                  image: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment ``docker compose up`` gives ``service`` of ``project/docker-compose.yml``."""
    compose: dict[str, Any] = yaml.safe_load((project / "docker-compose.yml").read_text())
    dotenv_path = project / ".env"
    variables = {**(read_env_file(dotenv_path, shell) if dotenv_path.is_file() else {}), **shell}
    spec = compose["services"][service]
    env = dict(image)
    entries = spec.get("env_file", [])
    for entry in [entries] if isinstance(entries, str | dict) else entries:
        entry = {"path": entry} if isinstance(entry, str) else entry
        path = project / entry["path"]
        if not path.is_file():
            if entry.get("required", True):
                raise ComposeError(f"env file {path} not found")
            continue
        env.update(read_env_file(path, variables))
    declared = spec.get("environment", {})
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) if "=" in item else (item, None) for item in declared)
    for key, value in declared.items():
        if value is None:
            if key in variables:
                env[key] = variables[key]
            else:
                env.pop(key, None)
        else:
            env[key] = interpolate(str(value), variables)
    return env
