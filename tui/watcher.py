"""Hot reload without a dependency: poll the scene folder's file times (every ~0.5 s, a few stat calls)."""

from __future__ import annotations

from pathlib import Path

WATCHED = ("*.toml", "*.md")


class SceneWatcher:
    """Remembers the modification times of a scene's files and reports which ones changed."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._seen = self.scan()

    def scan(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for pattern in WATCHED:
            for path in self.folder.glob(pattern):
                try:
                    stat = path.stat()
                except OSError:  # removed between glob and stat: counts as gone
                    continue
                found[path.name] = stat.st_mtime_ns ^ stat.st_size
        return found

    def changed(self) -> list[str]:
        """Names of files added, removed or modified since the last call (blocking: run in a thread)."""
        now = self.scan()
        names = sorted(n for n in now.keys() | self._seen.keys() if now.get(n) != self._seen.get(n))
        self._seen = now
        return names
