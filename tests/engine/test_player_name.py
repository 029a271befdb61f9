"""The player's name is only ever a name the player gave: recognised in their words or set by
them, remembered, and used; a profile id ("player", "web-1a2b3c4d") is never spoken."""

from __future__ import annotations

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.llm.prompts import build_line_request
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import Cue
from digital_actors.turn.session import Session, SessionOptions


async def test_a_name_in_the_players_words_is_announced_and_used(mini: Scene) -> None:
    clock = FakeClock()
    cues: list[Cue] = []

    class Recording(Understudy):
        def perform(self, cue: Cue):  # type: ignore[no-untyped-def]
            cues.append(cue)
            return super().perform(cue)

    session = Session(mini, actor=Recording(mini, clock=clock), clock=clock,
                      options=SessionOptions(suggestions=False))
    sub = session.events()
    await session.start()
    await session.say("Hello. My name is Ada.")
    await session.settle()
    named = [e for e in sub.drain() if isinstance(e, ev.PlayerNamed)]
    assert named == [ev.PlayerNamed("Ada")]
    assert cues[-1].kind == "reply" and cues[-1].player_name == "Ada"
    assert "The player's name, as they gave it: Ada" in build_line_request(mini, cues[-1]).messages[-1].content
    assert "not yet known" in build_line_request(mini, cues[0]).messages[-1].content
    await session.say("Ada, like I said.")  # the same name again is not news
    await session.settle()
    assert not [e for e in sub.drain() if isinstance(e, ev.PlayerNamed)]
    await session.close()


async def test_the_name_is_remembered_and_a_profile_id_never_becomes_one() -> None:
    async with Engine.open(Settings(_env_file=None), clock=FakeClock(), open_memory=True) as engine:  # type: ignore[call-arg]
        assert engine.store is not None
        default = await engine.terminal_player(None)  # the terminal player who gave no name
        web = await engine.store.create_player("web")
        for record in (default, web):
            assert record is not None
            session = await engine.new_session(SessionRequest("welcome", seed=1, pace=0), player_id=record.id)
            assert session.player_name == ""  # not "player", not "web-1a2b3c4d"
            sub = session.events()
            await session.start()
            await session.say("Hi Maren, my name is Sam.")
            await session.settle()
            assert ev.PlayerNamed("Sam") in sub.drain()
            await session.close()
            await engine.recorded(session)
            again = await engine.new_session(SessionRequest("welcome", seed=1, pace=0), player_id=record.id)
            assert again.player_name == "Sam" and again.recollection.player_name == "Sam"
            await again.close()
            await engine.recorded(again)
        named = await engine.terminal_player("Ada")  # a name the person typed for their profile
        assert named is not None and named.given_name == "Ada"


async def test_a_front_end_can_set_the_name(mini: Scene) -> None:
    clock = FakeClock()
    session = Session(mini, actor=Understudy(mini, clock=clock), clock=clock)
    sub = session.events()
    await session.start()
    session.name_player("  Mae   Jones ")
    assert session.player_name == "Mae Jones"
    assert ev.PlayerNamed("Mae Jones") in sub.drain()
    await session.close()
