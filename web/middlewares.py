"""Cross-cutting HTTP concerns: one JSON access-log line per request, errors without tracebacks,
request bodies read within a deadline, and security headers on every response (including static
files, errors and WebSocket upgrades).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from web.keys import SETTINGS
from web.metrics import HTTP_REQUESTS, count_error

log = structlog.get_logger()
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CLIENT_CLOSED_REQUEST = 499  # nginx's status for "the client hung up before the answer": it is never sent


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def access_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``event_type=http_request`` with method, path (never the query: it may hold a token), status, time."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        route = _route(request)
        HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        log.info("http_request", event_type="http_request", method=request.method, path=request.path,
                 route=route, status=status, response_time_ms=round(elapsed, 2))


def _error_body(request: web.Request, status: int, message: str) -> web.Response:
    if request.path.startswith("/api/") or request.path in ("/health", "/metrics", "/ws"):
        return web.json_response({"error": message}, status=status)
    return web.Response(text=f"{status} {message}\n", status=status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP errors as short bodies; anything unexpected as a 500 that says nothing about the code."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400 or e.empty_body:
            raise
        return _error_body(request, e.status, e.reason)
    except Exception:
        count_error("http_handler")
        log.exception("http_handler_failed", event_type="http_error", path=request.path)
        return _error_body(request, 500, "internal server error")


@web.middleware
async def bounded_body(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the body (at most ``client_max_size``, 64 KiB) within HTTP_BODY_TIMEOUT_SECONDS before the
    handler runs. A stalled body gets 408 and the connection closes; a client that hangs up or sends
    a broken body is one quiet line (499 or 400), never a 500 with a traceback."""
    if request.can_read_body:
        seconds = request.app[SETTINGS].http_body_timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                await request.read()
        except TimeoutError:
            log.info("request_body_timeout", event_type="http_client_error", path=request.path, seconds=seconds)
            response = _error_body(request, 408, "request body not received in time")
            response.force_close()
            return response
        except ConnectionError:
            log.info("client_aborted", event_type="http_client_error", path=request.path)
            return web.Response(status=CLIENT_CLOSED_REQUEST)
        except web.RequestPayloadError:
            log.info("request_body_malformed", event_type="http_client_error", path=request.path)
            response = _error_body(request, 400, "malformed request body")
            response.force_close()
            return response
    return await handler(request)


def content_security_policy(request: web.Request) -> str:
    """No inline scripts or styles; sockets only back to this host."""
    host = request.host
    sockets = f" ws://{host} wss://{host}" if _SAFE_HOST.match(host) else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{sockets}; media-src 'self' blob:; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs for every response, whoever produced it."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(request))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
