"""web/origin.py value by value: what an Origin normalises to, and which origins a socket accepts."""

from __future__ import annotations

import pytest

from web.origin import normalise, origin_allowed, parse_allowed


@pytest.mark.parametrize(("origin", "expected"), [
    ("https://play.example", "https://play.example"),
    ("HTTPS://Play.EXAMPLE", "https://play.example"),
    ("  https://play.example \t", "https://play.example"),
    ("http://play.example:80", "http://play.example"),  # the default port is dropped
    ("https://play.example:443", "https://play.example"),
    ("http://play.example:443", "http://play.example:443"),  # the other scheme's default is a port
    ("https://play.example:80", "https://play.example:80"),
    ("http://play.example:8080", "http://play.example:8080"),
    ("http://[::1]", "http://[::1]"),
    ("http://[::1]:80", "http://[::1]"),
    ("http://[2001:DB8::1]:8443", "http://[2001:db8::1]:8443"),
    ("https://play.example/path?q=1", "https://play.example"),
])
def test_normalise(origin: str, expected: str) -> None:
    assert normalise(origin) == expected


@pytest.mark.parametrize("malformed", [
    "", "null", "play.example", "ftp://play.example", "ws://play.example", "http://", "https://:443",
    "http://play.example:99999", "http://play.example:port", "http://[::1",
])
def test_a_malformed_origin_normalises_to_nothing(malformed: str) -> None:
    assert normalise(malformed) == ""


def test_parse_allowed_splits_on_commas_only_and_drops_the_malformed() -> None:
    assert parse_allowed("https://a.example,http://b.example:8080") == {"https://a.example", "http://b.example:8080"}
    assert parse_allowed(" https://A.example:443 ,, junk, ftp://c.example ,") == {"https://a.example"}
    assert parse_allowed("") == frozenset()


def test_no_origin_header_is_let_through_but_a_malformed_one_never() -> None:
    assert origin_allowed(None, None, frozenset()) is True
    assert origin_allowed("", "play.example", frozenset({""})) is False
    assert origin_allowed("null", "null", frozenset()) is False


def test_same_origin_needs_a_host_header() -> None:
    assert origin_allowed("https://play.example", "play.example", frozenset()) is True
    assert origin_allowed("https://play.example", None, frozenset()) is False
    assert origin_allowed("https://play.example", "", frozenset()) is False
    assert origin_allowed("https://play.example", "  play.example  ", frozenset()) is True  # Host padded


def test_same_origin_compares_ports_with_the_origins_scheme() -> None:
    assert origin_allowed("http://play.example", "play.example:80", frozenset()) is True
    assert origin_allowed("http://play.example", "play.example:443", frozenset()) is False
    assert origin_allowed("https://play.example:8443", "play.example:8443", frozenset()) is True
    assert origin_allowed("https://play.example:8443", "play.example", frozenset()) is False


def test_a_listed_origin_needs_no_matching_host() -> None:
    allowed = parse_allowed("https://game.example")
    assert origin_allowed("https://GAME.example:443", None, allowed) is True
    assert origin_allowed("https://game.example:444", None, allowed) is False
