"""Who the client is (web/clients.py): trusted proxies only, spoofed and lookalike hops ignored,
IPv6 counted by /64, and the per-client token buckets that use the answer."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from web.clients import client_address, client_key, forwarded_chain, parse_address, parse_trusted
from web.ratelimit import ClientBuckets

LOCAL = parse_trusted("127.0.0.1")
PRIVATE = parse_trusted("10.0.0.0/8, ::1, fd00::/8")


def address(peer: str | None, chain: list[str], trusted=LOCAL) -> str | None:
    found = client_address(peer, chain, trusted)
    return None if found is None else str(found)


@pytest.mark.parametrize(("text", "expected"), [
    ("203.0.113.7", "203.0.113.7"),
    (" 203.0.113.7 ", "203.0.113.7"),
    ("203.0.113.7:4711", "203.0.113.7"),
    ("2001:db8::1", "2001:db8::1"),
    ('"[2001:db8::1]:4711"', "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("::ffff:10.1.2.3", "10.1.2.3"),  # a dual-stack socket's IPv4 peer
    ("fe80::1%eth0", "fe80::1"),
    ("unknown", None),
    ("_hidden", None),
    ("203.0.113.7.evil.example", None),
    ("203.0.113", None),
    ("", None),
    (None, None),
])
def test_parse_address(text: str | None, expected: str | None) -> None:
    found = parse_address(text)
    assert (None if found is None else str(found)) == expected


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert address("203.0.113.9", ["198.51.100.1"]) == "203.0.113.9"
    assert address("203.0.113.9", ["127.0.0.1"]) == "203.0.113.9"  # claiming to be the proxy does not help
    assert address("203.0.113.9", []) == "203.0.113.9"
    assert address("203.0.113.9", ["198.51.100.1"], trusted=()) == "203.0.113.9"


def test_a_trusted_proxys_hop_is_the_client_and_spoofed_hops_to_its_left_are_ignored() -> None:
    assert address("127.0.0.1", ["198.51.100.7"]) == "198.51.100.7"
    # The bot wrote "1.2.3.4" itself; nginx appended the address it really saw.
    assert address("127.0.0.1", ["1.2.3.4", "198.51.100.7"]) == "198.51.100.7"
    assert address("127.0.0.1", ["127.0.0.1", "198.51.100.7"]) == "198.51.100.7"
    assert address("127.0.0.1", []) == "127.0.0.1"  # a request the proxy did not label: the proxy itself


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    chain = ["6.6.6.6", "198.51.100.7", "10.0.0.5", "10.9.9.9"]  # spoof, client, edge proxy, inner proxy
    assert address("10.1.1.1", chain, PRIVATE) == "198.51.100.7"
    assert address("10.1.1.1", ["10.0.0.5"], PRIVATE) == "10.0.0.5"  # every hop trusted: the leftmost
    assert address("::1", ["2001:db8::7"], PRIVATE) == "2001:db8::7"
    assert address("::ffff:10.1.1.1", ["198.51.100.7"], PRIVATE) == "198.51.100.7"


@pytest.mark.parametrize("peer", ["127.0.0.2", "100.0.0.1", "11.0.0.1", "::2", "fe00::1", "::ffff:127.0.0.2"])
def test_lookalike_peers_are_not_trusted(peer: str) -> None:
    trusted = parse_trusted("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8")
    assert address(peer, ["198.51.100.7"], trusted) == str(parse_address(peer))


def test_an_unreadable_hop_stops_the_walk_at_the_last_trusted_one() -> None:
    assert address("127.0.0.1", ["198.51.100.7", "unknown"]) == "127.0.0.1"
    assert address("127.0.0.1", ["garbage"]) == "127.0.0.1"


def test_forwarded_chain_prefers_x_forwarded_for_and_keeps_every_line_in_order() -> None:
    forwarded = [{"for": "192.0.2.60", "proto": "http"}, {"for": "[2001:db8::1]:4711"}]
    assert forwarded_chain(["1.1.1.1, 2.2.2.2", "3.3.3.3"], forwarded) == ["1.1.1.1", " 2.2.2.2", "3.3.3.3"]
    assert forwarded_chain([], forwarded) == ["192.0.2.60", "[2001:db8::1]:4711"]
    assert forwarded_chain([], [{"by": "10.0.0.1"}]) == [""]


def test_client_keys_count_ipv6_by_its_slash_64() -> None:
    one = client_key(ipaddress.ip_address("2001:db8:1:2:aaaa::1"))
    assert one == "2001:db8:1:2::/64"
    assert client_key(ipaddress.ip_address("2001:db8:1:2:ffff:ffff:ffff:ffff")) == one
    assert client_key(ipaddress.ip_address("2001:db8:1:3::1")) != one
    assert client_key(ipaddress.ip_address("198.51.100.7")) == "198.51.100.7"
    assert client_key(ipaddress.ip_address("198.51.100.8")) != "198.51.100.7"
    assert client_key(None) == "unknown"


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "localhost", "10.0.0.1, nope", "300.1.1.1"])
def test_trusted_proxies_setting_refuses_what_is_not_an_address(bad: str) -> None:
    with pytest.raises(ValidationError, match="not an address or CIDR"):
        Settings(_env_file=None, trusted_proxies=bad)  # type: ignore[call-arg]


def test_trusted_proxies_setting_takes_addresses_and_networks() -> None:
    settings = Settings(_env_file=None, trusted_proxies=" 127.0.0.1 , 10.0.0.0/8,::1,")  # type: ignore[call-arg]
    assert [str(n) for n in parse_trusted(settings.trusted_proxies)] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]


async def test_client_buckets_burst_then_rate_per_client() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(per_minute=6, burst=3, now=clock.now)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(10.0)  # 6 a minute: one every 10 s
    assert buckets.take("b") == 0.0  # another client is not affected
    await clock.advance(4)
    assert buckets.take("a") == pytest.approx(6.0)
    await clock.advance(6)
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(10.0)


async def test_client_buckets_stay_bounded_and_forget_full_buckets_first() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(per_minute=60, burst=2, now=clock.now, capacity=10)
    for _ in range(2):
        buckets.take("limited")
    for i in range(9):
        buckets.take(f"once-{i}")
    await clock.advance(1)  # the nine are full again; "limited" has one token back, not two
    buckets.take("new")  # at capacity: the full buckets are forgotten, not the limited one
    assert len(buckets) == 2
    assert buckets.take("limited") == 0.0
    assert buckets.take("limited") > 0  # still remembered, so not handed a new burst
    for i in range(1000):  # nothing full to forget: the least recently used go
        buckets.take(f"flood-{i}")
    assert len(buckets) <= 10
