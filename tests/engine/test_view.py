"""The one view every front end draws: danger, keys, countdown, transcript, end-of-scene rows;
and the line mode's compact announcements that come from it."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.plain import LinePlayer
from digital_actors.scene.loader import load_scene
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.view import (
    ViewReducer,
    clock_text,
    control_state,
    danger_crossings,
    gauge_line,
    unlocked,
    value_text,
)

ROOT = Path(__file__).parents[2]


def gauge(value: float, *, danger: float | None = 20, below: bool = True) -> ev.GaugeView:
    return ev.GaugeView("air", "Air", value, 0, 100, "%", "gauge", danger=danger, danger_below=below)


def test_one_danger_rule_with_a_warning_band() -> None:
    assert [gauge(v).level for v in (10, 20, 21, 35, 36)] == ["danger", "danger", "warning", "warning", "ok"]
    assert [gauge(v, danger=80, below=False).level for v in (90, 80, 70, 64)] == ["danger", "danger", "warning", "ok"]
    assert gauge(0, danger=None).level == "ok"
    assert ev.to_dict(ev.StateChanged({}, (gauge(15),), 3.0))["gauges"][0]["level"] == "danger"


def test_countdown_and_numbers_are_written_once() -> None:
    assert [clock_text(s) for s in (0, 0.2, 59.1, 60, 125)] == ["0:00", "0:01", "1:00", "1:00", "2:05"]
    assert value_text(gauge(33.3)) == "33%" and value_text(gauge(2.5)) == "2.5%"


def test_the_reducer_tracks_what_the_player_sees() -> None:
    r = ViewReducer()
    pump = ev.ControlView("pump", "PUMP", "1", True)
    hatch = ev.ControlView("hatch", "OPEN HATCH", "2", False, "jammed")
    parts = r.feed(ev.SceneStarted("mini", "Mini", "", "tester", (ev.CastMember("bob", "Bob"),), (gauge(50),),
                                   (pump, hatch), 1, "Start", "understudy", 5, time_left=31.0))
    assert {"scene", "controls", "countdown"} <= parts
    v = r.view
    assert v.control_for_key("2") == hatch and v.control_for_key("9") is None and v.keys == {"1": "pump", "2": "hatch"}
    assert v.countdown == "0:31 left" and not v.urgent
    assert r.feed(ev.StateChanged({"air": 40}, (gauge(40),), 2.0, time_left=29.0)) == {"gauges", "countdown"}
    assert v.urgent and v.countdown == "0:29 left"
    r.feed(ev.LineStarted("l1", "bob", "Bob", "reply"))
    r.feed(ev.LineDelta("l1", "Hel"))
    assert v.speaking == "Bob" and v.line is not None and v.line.text == "Hel"
    r.feed(ev.LineFinished("l1", "bob", "Hello", interrupted=True))
    assert v.line is None and v.transcript[-1].cut and v.transcript[-1].who == "Bob"
    r.feed(ev.GameOver("out", "failure", "Out of air", "", 61.0, {"lines": 4.0, "uses.pump": 1.0, "uses.hatch": 0.0}))
    assert v.stats() == [("Time", "1:01"), ("Lines spoken", "4"), ("Pump", "used once")]  # labels, never ids


async def test_the_line_mode_announces_unlocked_controls_and_dangerous_gauges() -> None:
    scene = load_scene(ROOT / "scenes" / "welcome")
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      options=SessionOptions(suggestions=False, overrides=(("clockwork", 45.0),)))
    out = io.StringIO()
    player = LinePlayer(session, out=out, interactive=False)
    await session.start()
    await session.settle()
    for event in player.sub.drain():
        player.show(event)
    await session.press("wind")  # 45 + 20: past 50, the beam unlocks
    await session.settle()
    for event in player.sub.drain():
        player.show(event)
    assert "* Now you can use /2 SWEEP THE BEAM | Lamp clockwork 65% | The Marigold's way in 0%\n" in out.getvalue()
    await session.press("sweep")  # 65 - 15 = 50
    await session.settle()
    for second in range(70):  # the spring runs down 0.5 a second: under 20 after 60 s, then further
        if second % 20 == 10:
            await session.say("I'm still here")  # awake: the keeper lets nobody doze off at the lamp
        await clock.advance(1)
        for event in player.sub.drain():
            player.show(event)
    text = out.getvalue()
    assert text.count("* WARNING: Lamp clockwork") == 1  # once, when it crosses, not every tick
    assert "* WARNING: Lamp clockwork 20%! | The Marigold's way in 0%\n" in text
    assert text.count("* Now you can use /1") == 0  # the winding handle's cooldown running out is no unlock
    assert text.count("* Now you can use /2") == 1  # and the beam's cooldown after the sweep is none either
    await session.close()
    wound = ev.GaugeView("clockwork", "Lamp clockwork", 35, 0, 100, "%", "gauge", danger=20, danger_below=True)
    player.show(ev.StateChanged({"clockwork": 35}, (wound,), 71.0))  # wound back out of danger
    player.show(ev.StateChanged({"clockwork": 34.5}, (replace(wound, value=34.5),), 72.0))
    assert out.getvalue().endswith("* Safe again: Lamp clockwork 35%\n")  # once


def control(available: bool, reason: str | None = None, uses_left: int | None = None,
            cooldown: float = 0.0) -> ev.ControlView:
    return ev.ControlView("beam", "SWEEP THE BEAM", "2", available, reason, uses_left, cooldown)


def test_control_states_follow_the_worlds_order_of_reasons() -> None:
    assert control_state(control(True)) == "ready"
    assert control_state(control(False, "the scene is over")) == "over"
    assert control_state(control(False, "no uses left", uses_left=0)) == "used_up"
    assert control_state(control(False, "cooling down (2 s)", cooldown=1.5)) == "cooling"
    assert control_state(control(False, "wind it past 50 first")) == "locked"
    assert control_state(control(False, "wind it past 50 first", cooldown=1.5)) == "locked"  # the condition first


def test_only_a_locked_control_becoming_ready_is_an_unlock() -> None:
    locked, ready = (control(False, "wind it past 50 first"),), (control(True),)
    assert unlocked(locked, ready) == [ready[0]]
    assert unlocked((control(False, "cooling down (1 s)", cooldown=0.5),), ready) == []
    assert unlocked(ready, ready) == [] and unlocked(locked, locked) == []
    assert unlocked((), ready) == []  # a control never seen before is not news


def test_danger_crossings_and_the_compact_gauge_line() -> None:
    depth = ev.GaugeView("depth", "Depth", 40, 0, 100, " m", "number")
    assert danger_crossings((gauge(30), depth), (gauge(19), depth)) == ([gauge(19)], [])
    assert danger_crossings((gauge(19),), (gauge(18),)) == ([], [])  # still in danger: no news
    assert danger_crossings((gauge(19),), (gauge(25),)) == ([], [gauge(25)])
    assert gauge_line((gauge(19), depth)) == "Air 19%! | Depth 40 m"
    assert gauge_line(()) == ""


def test_a_patch_holds_exactly_its_keys_as_the_whole_view_has_them() -> None:
    r = ViewReducer()
    r.feed(ev.SceneStarted("mini", "Mini", "", "tester", (ev.CastMember("bob", "Bob"),), (gauge(50),),
                           (ev.ControlView("pump", "PUMP", "1", True),), 1, "Start", "understudy", 5,
                           time_left=31.0))
    r.feed(ev.LineStarted("l1", "bob", "Bob", "reply"))
    r.feed(ev.LineDelta("l1", "Hello"))
    whole = r.view.to_json()
    assert whole["line"]["text"] == "Hello" and whole["clock"] == "0:31 left"
    for keys in (["line"], ["gauges", "clock"], ["controls", "keys"], sorted(whole)):
        assert r.view.to_json(keys) == {k: whole[k] for k in keys}
