"""GET /ws?token=…: checks the Origin and the token, then relays commands to the player session.

Close codes: 4401 missing/unknown/expired token, 4403 origin not allowed, 4409 replaced by a
newer connection, 1008 rate limit abuse, 1009 message too big, 1001 server shutting down, 1013
the shared session store did not answer (the page retries). The close reasons are in the player's
words (web/wording.py); the log line says which case it was.
"""

from __future__ import annotations

import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from digital_actors.config import Settings
from digital_actors.errors import DigitalActorsError
from digital_actors.logging import short_hash
from web import protocol, wording
from web.keys import ALLOWED_ORIGINS, REGISTRY, SETTINGS, SHUTTING_DOWN, SOCKETS
from web.metrics import PLAYER_VISIBLE_ERRORS, WS_CONNECTIONS, WS_DISCONNECTS, count_error
from web.origin import origin_allowed
from web.player import Link, PlayerSession
from web.ratelimit import TokenBucket
from web.store import StoreUnavailable

log = structlog.get_logger()
SLOW_DOWN = protocol.dumps({"type": "Notice", "level": "warning",
                            "message": "You are sending messages too fast; some were ignored."})


async def websocket(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    settings = app[SETTINGS]
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_seconds,
                               max_msg_size=settings.ws_max_message_bytes)
    allowed = origin_allowed(request.headers.get("Origin"), request.host, app[ALLOWED_ORIGINS])
    await ws.prepare(request)
    if not allowed:
        return await _refuse(ws, 4403, wording.ORIGIN_CLOSED, "origin")
    if app[SHUTTING_DOWN].is_set():
        return await _refuse(ws, WSCloseCode.GOING_AWAY, wording.SHUTTING_DOWN, "shutdown")
    registry = app[REGISTRY]
    try:
        found = await registry.connect(request.query.get("token"))
    except StoreUnavailable:
        return await _refuse(ws, WSCloseCode.TRY_AGAIN_LATER, wording.STORE_BUSY, "store",
                             why="session store unavailable")
    if isinstance(found, str):
        return await _refuse(ws, 4401, wording.TOKEN_CLOSED[found], "auth", why=f"{found} token")
    player = found
    link = _link(ws)
    app[SOCKETS].add(ws)
    WS_CONNECTIONS.inc()
    reason = "error"
    try:
        await registry.attach(player, link)
        player.log.info("ws_connected", event_type="ws_connected")
        await link.send_text(protocol.dumps({"type": "Welcome", "player_id": player.player_id,
                                             "session_id": short_hash(player.id)}))
        reason = await _serve(ws, player, link, settings)
    finally:
        app[SOCKETS].discard(ws)
        WS_CONNECTIONS.dec()
        await registry.detach(player, link)
        if app[SHUTTING_DOWN].is_set() and reason in ("client_closed", "error"):
            reason = "shutdown"
        WS_DISCONNECTS.labels(reason).inc()
        player.log.info("ws_disconnected", event_type="ws_disconnected", reason=reason,
                        close_code=ws.close_code)
    return ws


async def _refuse(ws: web.WebSocketResponse, code: int, reason: str, label: str,
                  why: str | None = None) -> web.WebSocketResponse:
    WS_DISCONNECTS.labels(label).inc()
    log.info("ws_refused", event_type="ws_refused", reason=why or label, close_code=code)
    await ws.close(code=code, message=reason.encode())
    return ws


def _link(ws: web.WebSocketResponse) -> Link:
    """Send callables that tolerate a socket closing under them (the session never sees it)."""

    async def send_text(frame: str) -> None:
        if not ws.closed:
            try:
                await ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                pass  # the socket is going away; the finally block of its handler detaches it

    async def send_bytes(frame: bytes) -> None:
        if not ws.closed:
            try:
                await ws.send_bytes(frame)
            except (ConnectionError, RuntimeError):
                pass

    async def close(code: int, reason: str) -> None:
        await ws.close(code=code, message=reason.encode()[:120])

    return Link(send_text, send_bytes, close)


async def _serve(ws: web.WebSocketResponse, player: PlayerSession, link: Link, settings: Settings) -> str:
    """Read frames until the socket closes; returns the disconnect reason for the metric."""
    bucket = TokenBucket(settings.ws_rate_per_second, settings.ws_rate_burst,
                         settings.ws_rate_abuse_limit, now=player.clock.now)
    async for msg in ws:
        if msg.type is WSMsgType.ERROR:
            error = ws.exception() or msg.data
            if isinstance(error, WebSocketError) and error.code == WSCloseCode.MESSAGE_TOO_BIG:
                return "too_big"
            return "error"
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue
        verdict = bucket.take()
        if verdict == "abusive":
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"rate limit exceeded")
            return "rate_limited"
        if verdict == "limited":
            if bucket.streak == 1:
                await link.send_text(SLOW_DOWN)
            continue
        await _dispatch(link, player, protocol.parse_command(msg.data))
    return "replaced" if ws.close_code == 4409 else "client_closed"


async def _dispatch(link: Link, player: PlayerSession,
                    command: protocol.Command | protocol.ProtocolError) -> None:
    if isinstance(command, protocol.ProtocolError):
        count_error("ws_bad_message")
        await link.send_text(command.frame())
        return
    try:
        await player.handle(command)
    except DigitalActorsError as e:
        await link.send_text(protocol.error_frame("refused", e.message, e.hint))
    except Exception:
        count_error("ws_command")
        PLAYER_VISIBLE_ERRORS.labels("error_frame").inc()
        player.log.exception("ws_command_failed", command=command.type)
        await link.send_text(protocol.error_frame("internal", "Something went wrong on the server.",
                                               "the scene goes on; try again"))
