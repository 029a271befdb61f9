"""The wheel ships the built-in scenes; an editable install finds them in the repository."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from digital_actors import paths

ROOT = Path(__file__).parents[2]
REPO_SCENES = sorted(p.parent.name for p in (ROOT / "scenes").glob("*/scene.toml"))


def test_editable_install_finds_the_repository_scenes() -> None:
    assert paths.builtin_scenes_dir() == ROOT / "scenes"
    out = subprocess.run([sys.executable, "-m", "digital_actors", "scenes"], capture_output=True, text=True,
                         timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    for scene_id in REPO_SCENES:
        assert scene_id in out.stdout


@pytest.mark.slow
def test_wheel_ships_scenes_and_lists_them_from_a_fresh_venv(tmp_path: Path) -> None:
    assert REPO_SCENES, "no scenes in the repository"
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = dist.glob("digital_actors-*.whl")
    # A fresh venv; dependencies come from the site-packages of the interpreter running the tests
    # (a .pth file: no network needed, and it works whether or not that interpreter is itself a
    # venv), the project itself only from the wheel.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    # The editable install's finder would point the new venv back at this checkout: leave it out.
    (Path(purelib) / "zz_test_runner_site.pth").write_text(
        "".join(f"{p}\n" for p in ours), encoding="utf-8")
    install = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    words = subprocess.run([str(py), "-c", "from digital_actors.understanding import spelling; "
                            "w = spelling.common_words(); print('because' in w, 'zzqx' in w, len(w) > 10000)"],
                           capture_output=True, text=True, timeout=60, cwd="/")
    assert words.stdout.split() == ["True", "False", "True"], words.stdout + words.stderr  # the word list ships
    where = subprocess.run([str(py), "-c", "import digital_actors.paths as p; print(p.builtin_scenes_dir())"],
                           capture_output=True, text=True, timeout=60, cwd="/")
    scenes_dir = Path(where.stdout.strip())
    assert str(scenes_dir).startswith(str(env_dir)) and scenes_dir.name == "scenes", where.stdout + where.stderr
    listed = subprocess.run([str(env_dir / "bin" / "digital-actors"), "scenes"], capture_output=True, text=True,
                            timeout=60, cwd="/")
    assert listed.returncode == 0, listed.stderr
    for scene_id in REPO_SCENES:
        assert scene_id in listed.stdout and "built-in" in listed.stdout
