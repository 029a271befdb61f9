"""The browser client's files, read once, served from versioned URLs so they can be cached for a year.

Every asset URL carries one content hash of the whole bundle (``/static/<version>/app.js``), so
relative ES-module imports keep working and a deploy changes every URL at once. The index page
is rewritten to point at the current version and is never cached.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
          ".html": "text/html; charset=utf-8",
          ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon"}
_REF = re.compile(r'(["\'])/static/([A-Za-z0-9_.\-]+)\1')


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str


class Assets:
    """The static bundle in memory: ``index`` (rewritten HTML) and ``get(name)``."""

    def __init__(self, folder: Path = STATIC_DIR) -> None:
        files: dict[str, Asset] = {}
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            body = path.read_bytes()
            kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            files[path.name] = Asset(body, kind)
            digest.update(path.name.encode() + b"\0" + body)
        if "index.html" not in files:
            raise FileNotFoundError(f"{folder / 'index.html'} is missing")
        self.version = digest.hexdigest()[:12]
        self._files = files
        html = files["index.html"].body.decode("utf-8")
        self.index = _REF.sub(lambda m: f"{m.group(1)}/static/{self.version}/{m.group(2)}{m.group(1)}",
                              html).encode("utf-8")

    def get(self, name: str) -> Asset | None:
        """A bundle file by name (no paths: nothing outside the folder is reachable)."""
        return None if name == "index.html" else self._files.get(name)
