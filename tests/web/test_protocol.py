"""The pure parts: command parsing, player views, audio frames, origins, the token bucket, the view."""

from __future__ import annotations

import json

import pytest

from digital_actors import events as ev
from web import protocol, wording
from web.origin import normalise, origin_allowed, parse_allowed
from web.ratelimit import TokenBucket
from web.view import SessionView


@pytest.mark.parametrize(("raw", "expected"), [
    ('{"type": "start", "scene": "mini"}', protocol.Start(type="start", scene="mini")),
    ('{"type": "say", "text": "hi", "extra": 1}', protocol.Say(type="say", text="hi")),
    ('{"type": "press", "control": "pump"}', protocol.Press(type="press", control="pump")),
    ('{"type": "settings", "voice": false}', protocol.SettingsCommand(type="settings", voice=False)),
    ('{"type": "resume"}', protocol.Resume(type="resume")),
    ('{"type": "leave"}', protocol.Leave(type="leave")),
    ('{"type": "resume", "snapshot": false}', protocol.Resume(type="resume", snapshot=False)),
    ('{"type": "settings", "text_speed": "fast"}', protocol.SettingsCommand(type="settings", text_speed="fast")),
])
def test_valid_commands(raw: str, expected: protocol.Command) -> None:
    assert protocol.parse_command(raw) == expected


@pytest.mark.parametrize(("raw", "code", "words"), [
    (b"\x00\x01", "binary_not_accepted", "JSON text"),
    ("{nope", "bad_json", "not valid JSON"),
    ("1e99999", "bad_message", "JSON object"),
    ("[" * 5000 + "]" * 5000, "bad_json", "not valid JSON"),
    ('{"text": 1' + "0" * 5000 + "}", "bad_json", "not valid JSON"),
    ('{"type": "dance"}', "unknown_type", "known: start, say"),
    ('{"type": 5}', "unknown_type", "'int'"),
    ('{"type": "say"}', "invalid", "say: text: Field required"),
    ('{"type": "say", "text": 5}', "invalid", "text: Input should be a valid string"),
    ('{"type": "say", "text": ""}', "invalid", "at least 1 character"),
    (json.dumps({"type": "say", "text": "x" * 1001}), "invalid", "at most 1000 characters"),
    ('{"type": "settings", "voice": 1}', "invalid", "voice"),
    ('{"type": "settings", "text_speed": "warp"}', "invalid", "text_speed"),
    ('{"type": "settings", "text_speed": "Fast"}', "invalid", "text_speed"),
    ('{"type": "Leave"}', "unknown_type", "leave"),
])
def test_bad_frames_get_clear_errors(raw: str | bytes, code: str, words: str) -> None:
    result = protocol.parse_command(raw)
    assert isinstance(result, protocol.ProtocolError)
    assert result.code == code and words in result.message
    body = json.loads(result.frame())  # the player reads a sentence; the developer's detail rides along
    assert body == {"type": "Error", "code": code, "message": wording.BAD_COMMAND, "hint": wording.BAD_COMMAND_HINT,
                    "detail": result.message}


def test_player_view_hides_the_inspector_and_audio() -> None:
    state = ev.StateChanged({"air": 1.0}, (), 3.0, hidden={"trust": 80.0})
    assert "hidden" not in protocol.player_view(state)  # type: ignore[operator]
    assert protocol.player_view(ev.DirectorNote("r", "note", "t", "why")) is None
    assert protocol.player_view(ev.SignalFired("s", "player", "keywords")) is None
    assert protocol.player_view(ev.AudioChunk("l", 0, 16000, b"\0\0")) is None
    assert protocol.player_view(ev.PlayerSaid("<b>x</b>")) == {"type": "PlayerSaid", "text": "<b>x</b>"}


def test_dumps_turns_non_finite_numbers_into_null() -> None:
    assert json.loads(protocol.dumps({"a": [float("inf"), 1.5], "b": {"c": float("nan")}})) == \
        {"a": [None, 1.5], "b": {"c": None}}


def test_audio_frame_layout_round_trips() -> None:
    chunk = ev.AudioChunk("ab12-3", 7, 22050, b"\x01\x00\xff\x7f")
    frame = protocol.encode_audio(chunk)
    assert frame[:3] == bytes((0xDA, 1, 6)) and frame[3:9] == b"ab12-3"
    assert int.from_bytes(frame[9:13], "little") == 7 and int.from_bytes(frame[13:17], "little") == 22050
    assert frame[17:] == chunk.pcm
    assert protocol.decode_audio(frame) == chunk
    with pytest.raises(ValueError):
        protocol.decode_audio(b"\x00\x01")


def test_origins() -> None:
    allowed = parse_allowed("https://Game.Example:443, http://localhost:3000, junk")
    assert allowed == {"https://game.example", "http://localhost:3000"}
    assert normalise("http://[::1]:8080") == "http://[::1]:8080"
    assert origin_allowed(None, "x", allowed)
    assert origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", frozenset())
    assert origin_allowed("https://play.example", "play.example:443", frozenset())
    assert not origin_allowed("http://evil.example", "play.example", frozenset())
    assert not origin_allowed("null", "play.example", frozenset())
    assert origin_allowed("https://game.example", "elsewhere", allowed)


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=2, abuse_limit=3, now=lambda: now[0])
    assert [bucket.take() for _ in range(5)] == ["ok", "ok", "limited", "limited", "abusive"]
    now[0] += 0.5
    assert bucket.take() == "ok" and bucket.streak == 0


def test_view_keeps_what_a_reconnecting_page_needs() -> None:
    view = SessionView()
    gauge = ev.GaugeView("air", "Air", 18, 0, 100, "%", "gauge", danger=20, danger_below=True)
    pump = ev.ControlView("pump", "PUMP", "1", True)
    started = ev.SceneStarted("mini", "Mini", "", "tester", (ev.CastMember("bob", "Bob"),),
                              (gauge,), (pump,), 1, "Start", "understudy", 5, time_left=95.2)
    patch = view.feed(started)
    assert patch is not None and patch["keys"] == {"1": "pump"} and patch["clock"] == "1:36 left"
    assert patch["gauges"][0]["level"] == "danger" and patch["gauges"][0]["text"] == "18%"
    for event in (ev.LineStarted("l1", "bob", "Bob", "opening"), ev.LineDelta("l1", "Hel"),
                  ev.PhaseChanged(2, "Later"), ev.Suggestions(("Hi",))):
        view.feed(event)
    snap = view.snapshot()["view"]
    assert snap["started"] and snap["phase"] == "Later"
    assert snap["line"]["who"] == "Bob" and snap["line"]["text"] == "Hel"
    assert snap["suggestions"] == ["Hi"]
    view.feed(ev.PlayerSaid("hey"))
    assert view.snapshot()["view"]["suggestions"] == []
    assert [(e["kind"], e["text"]) for e in view.snapshot()["view"]["transcript"]] == [("phase", "Later"),
                                                                                    ("you", "hey")]
    view.feed(ev.GameOver("friends", "success", "Friends", "", 75.0, {"lines": 3.0, "uses.pump": 2.0}))
    rows = view.snapshot()["view"]["over"]["rows"]
    assert rows == [["Time", "1:15"], ["Lines spoken", "3"], ["Pump", "used 2 times"]] or \
        rows == [("Time", "1:15"), ("Lines spoken", "3"), ("Pump", "used 2 times")]


@pytest.mark.parametrize("lookalike", ["https://play.example.evil.net", "https://play.example.net",
                                       "https://evilplay.example", "https://play.example:8443",
                                       "https://play.example@evil.net", "https://xplay.example"])
def test_lookalike_origins_are_refused(lookalike: str) -> None:
    """Regression: a prefix comparison admitted https://play.example.evil.net for play.example."""
    allowed = parse_allowed("https://play.example")
    assert origin_allowed("https://play.example", "other.host", allowed)
    assert not origin_allowed(lookalike, "other.host", allowed)
    assert not origin_allowed(lookalike, "play.example", frozenset())
    assert not origin_allowed("http://play.example", "other.host", allowed)  # the scheme counts too
