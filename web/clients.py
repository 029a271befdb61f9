"""Who the client is, for per-client limits. Pure functions.

The client is the TCP peer — unless the peer is one of TRUSTED_PROXIES; then it is the address that
proxy forwarded. The forwarded chain (X-Forwarded-For if present, else Forwarded's ``for=``) is read
from the right, past every trusted hop: what a client writes into the header itself lands to the
left of the address its proxy appends, so it is never believed. An untrusted peer's headers are
ignored entirely.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

from aiohttp import web

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_CLIENT_PREFIX = 64  # one subscriber gets a whole /64: finer keys would cost an attacker nothing


def parse_trusted(setting: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` -> networks (a bare address is a /32 or /128).
    Raises ValueError on a bad entry (Settings has already checked them)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip())


def parse_address(text: str | None) -> Address | None:
    """An address as a peer or a forwarded hop writes it: ``203.0.113.7``, ``203.0.113.7:4711``,
    ``2001:db8::1``, ``"[2001:db8::1]:4711"``; None for ``unknown``, ``_hidden`` or anything else."""
    if not text:
        return None
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port (IPv6 has two colons or more)
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1 (dual-stack sockets)
            return address.ipv4_mapped
        if address.scope_id:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
    return address


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def forwarded_chain(xff: Sequence[str], forwarded: Iterable[Mapping[str, str]]) -> list[str]:
    """The hops a proxy passed on, oldest first: every X-Forwarded-For value when there is one (all
    its header lines, in order), else the ``for=`` of each parsed Forwarded element."""
    if xff:
        return [hop for line in xff for hop in line.split(",")]
    return [element.get("for", "") for element in forwarded]


def client_address(peer: str | None, chain: Sequence[str], trusted: Sequence[Network]) -> Address | None:
    """The client's address: the peer, unless it is a trusted proxy; then, walking ``chain`` from
    the right, the first hop that is not a trusted proxy (or the last trusted one, if all are, or
    if the next hop is unreadable)."""
    current = parse_address(peer)
    if current is None:
        return None
    for hop in reversed(chain):
        if not is_trusted(current, trusted):
            break
        address = parse_address(hop)
        if address is None:
            break
        current = address
    return current


def client_key(address: Address | None) -> str:
    """What per-client limits count by: an IPv4 address, or the /64 an IPv6 address is in."""
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def client_of(request: web.Request, trusted: tuple[Network, ...]) -> str:
    """The per-client key of the request's sender (see ``client_address``)."""
    chain: list[str] = []
    if trusted:  # no header is even read unless a proxy is configured
        xff = request.headers.getall("X-Forwarded-For", [])
        chain = forwarded_chain(xff, () if xff else request.forwarded)
    return client_key(client_address(request.remote, chain, trusted))
