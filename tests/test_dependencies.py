"""Every third-party module the project imports is declared in pyproject.toml.

CI builds a fresh venv from the declared dependencies only, but a module that some other
package happens to install would still import there; this test reads the imports with
``ast``, maps each module to the distribution that provides it, and requires that
distribution to be named in ``dependencies`` or an extra (not merely pulled in by one).
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[1]
SCANNED = ("digital_actors", "tui", "web", "tests", "benchmarks")
FIRST_PARTY = {"digital_actors", "tui", "web", "tests", "benchmarks"}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return {canonicalize_name(Requirement(r).name) for r in reqs}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of absolute imports, including ``importlib.import_module("x.y")`` literals."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value.split(".")[0])
    return names


def third_party_imports() -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    for folder in SCANNED:
        for path in (ROOT / folder).rglob("*.py"):
            siblings = {p.stem for p in path.parent.glob("*.py")} | {p.name for p in path.parent.iterdir()
                                                                     if p.is_dir()}
            for name in imported_modules(path):
                if name in sys.stdlib_module_names or name in FIRST_PARTY or name in siblings or name == "__future__":
                    continue
                found.setdefault(name, set()).add(path.relative_to(ROOT))
    return found


def test_the_scan_sees_the_imports_it_must_judge() -> None:
    modules = third_party_imports()
    # Known imports from each kind of place: the engine, the front ends, the tests.
    assert {"structlog", "aiosqlite", "textual", "aiohttp", "pytest", "yaml"} <= set(modules)
    assert "json" not in modules and "digital_actors" not in modules


def test_every_imported_module_comes_from_a_declared_distribution() -> None:
    providers = md.packages_distributions()
    wanted = declared()
    problems = []
    for module, where in sorted(third_party_imports().items()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        example = sorted(where)[0]
        if not dists:
            problems.append(f"{module} (imported in {example}) is not installed: declare the package that "
                            f"provides it in pyproject.toml")
        elif not dists & wanted:
            problems.append(f"{module} (imported in {example}) comes from {', '.join(sorted(dists))}, "
                            f"which pyproject.toml does not declare")
    assert not problems, "\n".join(problems)


def test_the_test_extra_installs_the_other_extras_the_suite_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    own = [Requirement(r) for r in project["optional-dependencies"]["test"]
           if canonicalize_name(Requirement(r).name) == "digital-actors"]
    assert own and {"local-voice", "kokoro", "sentry"} <= set(own[0].extras)
