"""WebSocket Origin checks: the page's own origin, plus ALLOWED_ORIGINS. Pure functions."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_allowed(setting: str) -> frozenset[str]:
    """``"https://a.example, http://localhost:3000"`` -> normalised origins."""
    return frozenset(o for o in (normalise(part) for part in setting.split(",")) if o)


def normalise(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, default ports dropped; "" when malformed."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """Same origin (the Origin's host equals the Host header) or listed in ``allowed``.

    No Origin header means a non-browser client (browsers always send one on WebSocket
    upgrades); it is let through because the token still has to be valid.
    """
    if origin is None:
        return True
    wanted = normalise(origin)
    if not wanted:
        return False
    if wanted in allowed:
        return True
    if not host:
        return False
    scheme = wanted.split("://", 1)[0]
    return wanted == normalise(f"{scheme}://{host.strip()}")
