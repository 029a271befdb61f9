"""scripts/screenshots.py keeps working: one size, one theme, its three pictures at the right size."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

from tests.e2e.conftest import BROWSER_MARKS, CHROMIUM

pytestmark = BROWSER_MARKS
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


async def test_the_screenshot_script_draws_every_view(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    files = await script.take(tmp_path, [(360, 740)], ["light"], chromium=CHROMIUM)
    assert [f.name for f in files] == ["360x740-light-picker.png", "360x740-light-stage.png",
                                       "360x740-light-ending.png"]
    for f in files:
        assert png_size(f) == (360, 740) and f.stat().st_size > 5_000
    assert len({f.read_bytes() for f in files}) == 3  # three different pictures

