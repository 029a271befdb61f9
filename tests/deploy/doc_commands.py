"""The shell commands of a Markdown page: every line of its ``sh``/``bash``/``cron`` fenced blocks,
continuations joined, comments kept apart (a trailing ``# {"status": "ok"}`` is the expected output)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

SHELL_BLOCKS = ("sh", "bash", "shell", "console", "cron")
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True, slots=True)
class Command:
    doc: str        # the page, relative to the repository
    line: int       # where the command starts
    block: str      # the fence's language: sh, cron, ...
    text: str       # the command exactly as written, without its comment
    comment: str    # the trailing comment, if any


def commands(path: Path, root: Path) -> list[Command]:
    """Every command of every shell/cron block of ``path``, in order."""
    out: list[Command] = []
    language: str | None = None
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = _FENCE.match(raw)
        if fence:
            language = None if language is not None else fence.group(1)
            continue
        if language not in SHELL_BLOCKS:
            continue
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1].rstrip() + " "
            continue
        text, comment = split_comment(pending + raw.strip())
        pending = ""
        if text:
            out.append(Command(str(path.relative_to(root)), start, language or "", text, comment))
    return out


def split_comment(line: str) -> tuple[str, str]:
    """``cmd  # note`` -> (``cmd``, ``note``); a ``#`` inside quotes is not a comment."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    position = 0
    try:
        for token in lexer:
            if token.startswith("#"):
                at = line.index(token, position)
                if at == 0 or line[at - 1].isspace():
                    return line[:at].rstrip(), line[at + 1:].strip()
            position = lexer.instream.tell()
    except ValueError:  # unbalanced quotes: leave the line alone
        pass
    return line.strip(), ""


@dataclass(frozen=True, slots=True)
class CronEntry:
    schedule: str
    user: str | None
    command: str


def cron_entry(line: str, *, system: bool) -> CronEntry:
    """A crontab line: five time fields, the user for /etc/cron.d files, then the command."""
    fields = line.split(None, 6 if system else 5)
    if system:
        return CronEntry(" ".join(fields[:5]), fields[5], fields[6])
    return CronEntry(" ".join(fields[:5]), None, fields[5])
