"""What a web player reads when something is not part of the scene: notices, refusals, close reasons.

A web player is not the operator: "set ELEVENLABS_API_KEY", an HTTP status or a command line means
nothing to them (the server's log and /health say those things to the operator). The engine's
notices carry a ``topic`` so this module can word them for the page, or keep them from it; the
other front ends show the engine's own words to the person who runs them.
"""

from __future__ import annotations

from digital_actors import events as ev

# Notice topics (events.Notice.topic) reworded for a web player; None: not the player's business.
NOTICES: dict[str, str | None] = {
    "memory": "The characters cannot recall you this time; what happens now is still saved.",
    "saving": "Your progress is not being saved right now. It will be as soon as it can be.",
    "saving_back": "Your progress is being saved again.",
    "performer": None,  # which actor performs is the operator's choice; /health and the log say why
    "voice": "Voices are off on this server: you will read every line.",
    "voice_failed": "The voice stopped working: text only from here.",
    "model": "The character is keeping to the script for a while.",
    "model_back": "The character is improvising again.",
}

# Why the page's connection was refused (WebSocket close reasons, at most 123 bytes).
TOKEN_CLOSED = {
    "missing": "This game link is not complete: start a new game.",
    "unknown": "This link is no longer valid: start a new game.",
    "expired": "This link has expired: start a new game.",
}
ORIGIN_CLOSED = "This page is not allowed to connect to the game."
SHUTTING_DOWN = "The game server is restarting: it will be back in a moment."
STORE_BUSY = "The game could not find your session just now: trying again."

# Error frames for commands the page should never have sent (a bug or an old page): the developer's
# detail travels as ``detail``; the player reads this.
BAD_COMMAND = "The game did not understand that. Reload the page if this keeps happening."
BAD_COMMAND_HINT = "your scene goes on"


def notice(event: ev.Notice) -> ev.Notice | None:
    """The notice as a web player should read it, or None to keep it from them."""
    if not event.topic:
        return event
    if event.topic not in NOTICES:
        return event  # a topic this page does not know yet: the engine's words are meant for players too
    message = NOTICES[event.topic]
    if message is None:
        return None
    return ev.Notice(message, "info" if event.topic.endswith("_back") else event.level, event.topic)
