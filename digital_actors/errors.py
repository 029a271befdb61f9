"""One error tree for everything a human may need to act on: a message and a hint."""

from __future__ import annotations


class DigitalActorsError(Exception):
    """Base error. ``message`` says what went wrong; ``hint`` says what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(DigitalActorsError):
    """A setting is missing, malformed or inconsistent."""


class SceneError(DigitalActorsError):
    """A scene file could not be found, parsed or validated.

    ``problems`` holds every problem found, each ``file: key.path: message``.
    """

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None):
        super().__init__(message, hint)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        lines = [self.message, *(f"  {p}" for p in self.problems)]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class SceneNotFound(SceneError):
    """No scene by that id or path: a usage error (exit code 2), not a broken scene (1)."""


class ExpressionError(SceneError):
    """An expression in a scene file is malformed or uses something not allowed."""


class ModelError(DigitalActorsError):
    """A language-model call failed. ``retryable`` tells whether trying again may help."""

    def __init__(self, message: str, hint: str | None = None, *, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retryable = retryable
        self.retry_after = retry_after


class VoiceError(DigitalActorsError):
    """Speech synthesis or playback failed. ``retryable`` tells whether trying again may help."""

    def __init__(self, message: str, hint: str | None = None, *, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retryable = retryable
        self.retry_after = retry_after


class MemoryStoreError(DigitalActorsError):
    """The player-memory store is unusable (locked, corrupt, read-only, full, missing).

    ``kind`` names the fault (locked, full, readonly, io, corrupt, notadb, closed, missing, invalid,
    other); ``retryable`` tells whether the same write may land later (a lock, a full disk) or never
    will (a player who was forgotten, a value the schema refuses).
    """

    def __init__(self, message: str, hint: str | None = None, *, kind: str = "other",
                 retryable: bool = False) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.retryable = retryable
