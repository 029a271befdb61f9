"""SessionRegistry (web/sessions.py) on its own, on a FakeClock: which token answers what, the exact
edges of the token and resume windows, who gives way at the caps, tombstones and shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from web import store
from web.catalog import SceneCatalog
from web.player import Link, PlayerSession
from web.sessions import FULL_RETRY_AFTER, ClientLimited, RegistryFull, SessionRegistry
from web.store import Admission, Claim, LocalSessionStore, StoreUnavailable, TokenRecord, token_key


def registry(settings_factory: Callable[..., Settings], clock: FakeClock, **values: Any) -> SessionRegistry:
    settings = settings_factory(**values)
    engine = Engine(settings, clock=clock)
    return SessionRegistry(settings, engine=engine, catalog=SceneCatalog(engine), clock=clock, pace=0)


def closed_for(logs: list[dict[str, Any]]) -> list[str]:
    """The reason of every session_closed line (what an operator reads)."""
    closed = [e for e in logs if e["event"] == "session_closed"]
    assert all(e["event_type"] == "session_closed" for e in closed)
    return [e["reason"] for e in closed]


def link(closes: list[tuple[int, str]] | None = None) -> Link:
    """A socket; ``closes`` records how the registry closed it."""
    async def send(_: object) -> None:
        return None

    async def close(code: int, reason: str) -> None:
        if closes is not None:
            closes.append((code, reason))

    return Link(send_text=send, send_bytes=send, close=close)


async def connect(reg: SessionRegistry, player: PlayerSession, closes: list[tuple[int, str]] | None = None) -> Link:
    socket = link(closes)
    await reg.attach(player, socket)
    return socket


async def test_lookup_says_why_a_token_has_no_session(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock)
    with capture_logs() as logs:
        player = await reg.issue("p1", client="a")
    assert [(e["event"], e["event_type"]) for e in logs] == [("session_issued", "session_issued")]
    assert reg.lookup(None) == "missing" and reg.lookup("") == "missing"
    assert reg.lookup(player.token + "x") == "unknown"
    assert reg.lookup(player.token) is player and len(player.token) == 43  # 32 random bytes, URL-safe
    assert await reg.connect(None) == "missing" and await reg.connect(player.token + "x") == "unknown"
    assert await reg.connect(player.token) is player
    await reg.close_all()
    assert reg.lookup(player.token) == "unknown"  # no longer in this process...
    assert await reg.connect(player.token) == "expired"  # ...and a late reconnect hears "expired"


async def test_an_unused_token_lives_exactly_its_ttl(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_token_ttl_seconds=60)
    player = await reg.issue("p1", client="a")
    await clock.advance(60)
    assert reg.lookup(player.token) is player  # the edge itself is inside the window
    assert await reg.expire_due() == 0 and len(reg) == 1
    await clock.advance(0.5)
    assert reg.lookup(player.token) == "expired"
    with capture_logs() as logs:
        assert await reg.expire_due() == 1
    assert closed_for(logs) == ["expired"]
    assert len(reg) == 0 and reg.held_by("a") == 0 and player.closed
    assert reg.lookup(player.token) == "unknown" and await reg.connect(player.token) == "expired"
    assert await reg.expire_due() == 0


async def test_a_dropped_socket_keeps_its_session_for_exactly_the_resume_window(settings_factory,
                                                                               clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_token_ttl_seconds=10, ws_resume_seconds=30)
    player = await reg.issue("p1", client="a")
    socket = await connect(reg, player)
    await clock.advance(500)  # a connected session never expires, however old its token
    assert await reg.expire_due() == 0 and reg.lookup(player.token) is player
    player.detach(socket)
    await clock.advance(30)  # measured from the drop (the token's own ttl is long past)
    assert reg.lookup(player.token) is player and await reg.expire_due() == 0
    await clock.advance(0.5)
    assert reg.lookup(player.token) == "expired"
    assert await reg.expire_due() == 1 and player.closed


async def test_only_sessions_past_their_window_are_expired(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_token_ttl_seconds=60)
    old = await reg.issue("p1", client="a")
    await clock.advance(30)
    young = await reg.issue("p2", client="a")
    await clock.advance(31)
    assert await reg.expire_due() == 1
    assert old.closed and not young.closed
    assert reg.lookup(young.token) is young and reg.held_by("a") == 1 and len(reg) == 1


async def test_a_client_at_its_share_gives_up_its_own_oldest_unconnected_token(settings_factory,
                                                                              clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, web_max_sessions_per_client=3)
    playing = await reg.issue("p1", client="a")
    await connect(reg, playing)
    first_waiting = await reg.issue("p2", client="a")
    second_waiting = await reg.issue("p3", client="a")
    other = await reg.issue("p4", client="b")
    assert reg.held_by("a") == 3 and len(reg) == 4  # at the share, not past it: nobody was evicted
    with capture_logs() as logs:
        newest = await reg.issue("p5", client="a")
    assert closed_for(logs) == ["replaced_by_same_client"]
    assert first_waiting.closed and await reg.connect(first_waiting.token) == "expired"
    assert not second_waiting.closed and not playing.closed and not other.closed
    assert reg.held_by("a") == 3 and reg.held_by("b") == 1 and len(reg) == 4
    assert reg.lookup(newest.token) is newest


async def test_a_client_whose_sessions_all_have_sockets_is_refused(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, web_max_sessions_per_client=2, session_token_ttl_seconds=45)
    players = [await reg.issue(f"p{i}", client="a") for i in range(2)]
    for player in players:
        await connect(reg, player)
    with pytest.raises(ClientLimited) as refused:
        await reg.issue("p9", client="a")
    assert refused.value.retry_after == 45  # a token of theirs may expire by then
    assert refused.value.message == "Your address already holds as many sessions as it may."
    assert refused.value.hint == "close another tab, or try again in a minute"
    assert len(reg) == 2 and not any(p.closed for p in players)
    assert (await reg.issue("p9", client="b")).client == "b"


async def test_a_full_server_gives_the_oldest_unconnected_place_to_a_new_player(settings_factory,
                                                                               clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, web_max_sessions=3)
    playing = await reg.issue("p1", client="a")
    await connect(reg, playing)
    oldest = await reg.issue("p2", client="b")
    middle = await reg.issue("p3", client="a")
    with capture_logs() as logs:
        newcomer = await reg.issue("p4", client="c")
    assert closed_for(logs) == ["evicted_for_new_player"]
    assert oldest.closed and not middle.closed and not playing.closed
    assert len(reg) == 3 and reg.held_by("b") == 0 and reg.held_by("a") == 2 and reg.held_by("c") == 1
    assert reg.lookup(newcomer.token) is newcomer


async def test_a_server_whose_places_all_have_sockets_is_full(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, web_max_sessions=2)
    players = [await reg.issue(f"p{i}", client=f"c{i}") for i in range(2)]
    for player in players:
        await connect(reg, player)
    refused = REGISTRY.get_sample_value("digital_actors_sessions_refused_total", {"reason": "full"}) or 0
    with pytest.raises(RegistryFull) as full:
        await reg.issue("p9", client="c9")
    assert REGISTRY.get_sample_value("digital_actors_sessions_refused_total", {"reason": "full"}) == refused + 1
    assert full.value.retry_after == FULL_RETRY_AFTER == 30.0
    assert full.value.message == "This server is full." and full.value.hint == "try again in a minute"
    assert len(reg) == 2 and reg.held_by("c9") == 0


async def test_a_dropped_socket_holds_its_place_like_a_connected_one(settings_factory, clock: FakeClock) -> None:
    """Only tokens that never connected give way: a player inside the resume window keeps their place."""
    reg = registry(settings_factory, clock, web_max_sessions=1)
    player = await reg.issue("p1", client="a")
    player.detach(await connect(reg, player))
    with pytest.raises(RegistryFull):
        await reg.issue("p2", client="b")
    assert not player.closed


async def test_the_rate_limit_spends_one_token_per_request(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_rate_burst=2, session_rate_per_minute=4)
    await reg.limit("a")
    await reg.limit("a")
    with pytest.raises(ClientLimited) as limited:
        await reg.limit("a")
    assert limited.value.retry_after == 15.0  # 4 a minute: one per 15 s
    assert limited.value.hint == "try again in 15 s"
    assert limited.value.message == "Too many new sessions from your address."
    await reg.limit("b")  # another address has its own burst
    await clock.advance(15)
    await reg.limit("a")
    with pytest.raises(ClientLimited):
        await reg.limit("a")
    assert len(reg) == 0  # limiting issues nothing


async def test_dropping_one_of_a_clients_sessions_keeps_count_of_the_others(settings_factory,
                                                                           clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_token_ttl_seconds=60)
    first = await reg.issue("p1", client="a")
    await clock.advance(30)
    await reg.issue("p2", client="a")
    await clock.advance(31)
    assert await reg.expire_due() == 1 and first.closed
    assert reg.held_by("a") == 1
    await reg.issue("p3", client="a")
    assert reg.held_by("a") == 2


async def test_only_the_newest_tombstones_are_kept(settings_factory, clock: FakeClock,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "TOMBSTONES", 2)
    reg = registry(settings_factory, clock, session_token_ttl_seconds=10)
    players = []
    for i in range(3):
        players.append(await reg.issue(f"p{i}", client="a"))
        await clock.advance(1)
    await clock.advance(10)
    assert await reg.expire_due() == 3
    assert [await reg.connect(p.token) for p in players] == ["unknown", "expired", "expired"]


async def test_the_sweeper_expires_on_its_interval_and_outlives_a_failure(settings_factory,
                                                                          clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_token_ttl_seconds=10)
    bad = await reg.issue("p1", client="a")

    async def broken_close() -> None:
        raise RuntimeError("close failed")

    bad.close = broken_close  # type: ignore[method-assign]
    sweeper = asyncio.create_task(reg.run_cleanup(5))
    try:
        with capture_logs() as logs:
            await clock.advance(10)
            assert len(reg) == 1  # 10 s is the edge of the window: still valid
            await clock.advance(5)
            assert len(reg) == 0 and not sweeper.done()
            assert [e["event"] for e in logs if e["log_level"] == "error"] == ["session_cleanup_failed"]
        good = await reg.issue("p2", client="a")
        await clock.advance(14)
        assert len(reg) == 1 and not good.closed
        await clock.advance(1)  # 15 s: the next round after the token's 10 s
        assert len(reg) == 0 and good.closed
    finally:
        sweeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sweeper


async def test_close_all_closes_every_session(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock)
    players = [await reg.issue(f"p{i}", client=f"c{i % 2}") for i in range(3)]
    closes: list[tuple[int, str]] = []
    await connect(reg, players[0], closes)
    with capture_logs() as logs:
        await reg.close_all()
    assert closes == []  # closed, not handed over: the app says goodbye on its socket itself
    assert all(p.closed for p in players) and len(reg) == 0
    assert reg.held_by("c0") == 0 and reg.held_by("c1") == 0
    assert [reg.lookup(p.token) for p in players] == ["unknown"] * 3
    assert [await reg.connect(p.token) for p in players] == ["expired"] * 3
    assert not [e for e in logs if e["log_level"] == "error"]
    assert closed_for(logs) == ["shutdown"] * 3
    await reg.close_all()  # nothing left: nothing happens


async def test_close_all_is_bounded_and_says_what_did_not_close(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock)
    hung, broken, fine = [await reg.issue(f"p{i}", client="a") for i in range(3)]
    never = asyncio.Event()
    cancelled: list[bool] = []

    async def hang() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def fail() -> None:
        raise RuntimeError("close failed")

    hung.close = hang  # type: ignore[method-assign]
    broken.close = fail  # type: ignore[method-assign]
    with capture_logs() as logs:
        await reg.close_all(within=0.05)
    assert cancelled == [True] and fine.closed and len(reg) == 0
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [(e["event"], e["pending"], e["failed"]) for e in errors] == [("sessions_close_incomplete", 1, 1)]


class RecordingSharing:
    """What the registry asks of a shared store, recorded; ``failing`` makes every write raise."""

    instance = "here"

    def __init__(self) -> None:
        self.detached: list[tuple[str, bytes, float]] = []
        self.refreshed: list[list[TokenRecord]] = []
        self.failing = False
        self.refused: set[str] = set()  # keys whose snapshot the store does not take
        self.told: list[tuple[str, str, str]] = []
        self.records: dict[str, TokenRecord] = {}  # what claim() finds, by key
        self.owners: dict[str, str] = {}  # another process that holds the key
        self.released: list[tuple[str, str]] = []
        self.trouble: str | None = None

    def _write(self) -> None:
        if self.failing:
            raise StoreUnavailable("Redis did not answer.", "it is restarting")

    async def detach(self, key: str, snapshot: bytes, *, keep_for: float) -> None:
        self._write()
        if key in self.refused:
            raise StoreUnavailable("Redis did not answer.", "it is restarting")
        self.detached.append((key, snapshot, keep_for))

    async def refresh(self, held: Iterable[TokenRecord]) -> None:
        self._write()
        self.refreshed.append(list(held))

    async def problem(self) -> str | None:
        return self.trouble

    async def owner(self, key: str) -> str | None:
        return self.owners.get(key, "")

    async def release(self, owner: str, key: str) -> None:
        self.released.append((owner, key))

    async def claim(self, key: str) -> Claim | None:
        record = self.records.get(key)
        return None if record is None else Claim(record, self.owners.pop(key, ""), None)

    async def tell(self, owner: str, message: str, key: str) -> None:
        self._write()
        self.told.append((owner, message, key))

    def on_message(self, handler: Callable[[str, str, str], Awaitable[None]]) -> None:
        self.handler = handler


class SharedLocalStore(LocalSessionStore):
    """The in-process store with a recording ``sharing``: the registry's shared-store branches, without Redis."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(per_minute=60, burst=10, clock=clock)
        self.sharing = RecordingSharing()  # type: ignore[assignment]
        self.gave_way_elsewhere: tuple[tuple[str, str], ...] = ()  # (key, owner) the next admission reports
        self.ttls: list[float] = []

    async def admit(self, record: TokenRecord, *, cap: int, ttl: float) -> Admission:
        self.ttls.append(ttl)
        self.sharing.records[record.key] = record  # type: ignore[attr-defined]
        admission = await super().admit(record, cap=cap, ttl=ttl)
        evicted, self.gave_way_elsewhere = admission.evicted + self.gave_way_elsewhere, ()
        return Admission(admission.admitted, evicted)


def shared(settings_factory: Callable[..., Settings], clock: FakeClock, **values: Any) -> tuple[SessionRegistry,
                                                                                                RecordingSharing]:
    settings = settings_factory(**values)
    engine = Engine(settings, clock=clock)
    store = SharedLocalStore(clock)
    reg = SessionRegistry(settings, engine=engine, catalog=SceneCatalog(engine), clock=clock, pace=0, store=store)
    return reg, store.sharing  # type: ignore[return-value]


async def test_a_token_that_gave_way_in_another_process_is_told_to_its_owner(settings_factory,
                                                                            clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock, session_token_ttl_seconds=60)
    store = reg.store
    assert isinstance(store, SharedLocalStore)
    store.gave_way_elsewhere = (("k-there", "process-b"),)
    player = await reg.issue("p1", client="a")
    assert sharing.told == [("process-b", "evicted", "k-there")]
    assert sharing.records[player.key] == TokenRecord(player.key, "p1", "a")
    assert store.ttls == [65.0]  # the token's 60 s and one sweep
    assert not player.closed and len(reg) == 1
    sharing.failing = True
    store.gave_way_elsewhere = (("k-there-too", "process-b"),)
    with capture_logs() as logs:
        await reg.issue("p2", client="a")  # a store that does not answer does not stop the new session
    assert [(e["event"], e["event_type"], e["error"]) for e in logs if e["log_level"] == "warning"] == [
        ("session_store_failed", "session_store", "Redis did not answer.")]
    assert len(reg) == 2
    with capture_logs() as logs:
        await sharing.handler("evicted", player.key, "process-b")  # the same client's newer token, elsewhere
    assert player.closed and closed_for(logs) == ["replaced_by_same_client"] and len(reg) == 1


async def test_a_dropped_socket_saves_its_snapshot_for_the_resume_window(settings_factory, clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock, ws_resume_seconds=30)
    player = await reg.issue("p1", client="a")
    first = await connect(reg, player)
    second = await connect(reg, player)  # a newer socket replaced the first
    await reg.detach(player, first)
    assert sharing.detached == []  # the session still has a socket
    await reg.detach(player, second)
    assert [(key, keep) for key, _, keep in sharing.detached] == [(player.key, 35.0)]  # 30 s + one sweep
    assert sharing.detached[0][1] and not player.snapshot_due(clock.now())
    await reg.close_all()  # hands the session over: saved once more
    assert len(sharing.detached) == 2
    await reg.detach(player, second)  # closed: nothing more to save
    assert len(sharing.detached) == 2


async def test_a_snapshot_the_store_did_not_take_is_written_again_later(settings_factory, clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock)
    player = await reg.issue("p1", client="a")
    socket = await connect(reg, player)
    sharing.failing = True
    with capture_logs() as logs:
        await reg.detach(player, socket)
    assert [(e["event"], e["log_level"], e["event_type"], e["error"]) for e in logs] == [
        ("session_snapshot_failed", "warning", "session_store", "Redis did not answer.")]
    assert sharing.detached == [] and player.snapshot_due(clock.now())
    await reg.close_all()


async def test_the_sweeper_renews_the_lease_of_connected_sessions_only(settings_factory, clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock)
    playing = await reg.issue("p1", client="a")
    await connect(reg, playing)
    await reg.issue("p2", client="b")  # no socket yet: no lease to renew
    sweeper = asyncio.create_task(reg.run_cleanup(5))
    try:
        await clock.advance(5)
        assert sharing.refreshed == [[TokenRecord(playing.key, "p1", "a")]]
        sharing.failing = True
        with capture_logs() as logs:
            await clock.advance(5)
        assert [(e["event"], e["log_level"], e["event_type"], e["error"]) for e in logs] == [
            ("session_lease_failed", "warning", "session_store", "Redis did not answer.")]
        sharing.failing = False
        await clock.advance(5)  # the sweeper outlived the failure
        assert len(sharing.refreshed) == 2
    finally:
        sweeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sweeper
    await reg.close_all()


async def test_health_hears_why_sessions_cannot_move(settings_factory, clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock)
    assert await reg.problems() == []
    sharing.trouble = "redis: connection refused"
    assert await reg.problems() == ["redis: connection refused"]
    assert await registry(settings_factory, clock).problems() == []  # nothing shared, nothing to report


async def test_any_wait_at_all_refuses_a_new_session(settings_factory, clock: FakeClock) -> None:
    reg = registry(settings_factory, clock, session_rate_burst=1, session_rate_per_minute=120)
    await reg.limit("a")
    with pytest.raises(ClientLimited) as limited:
        await reg.limit("a")
    assert limited.value.retry_after == 0.5  # under a second is still a wait


async def test_shutdown_hands_over_every_connected_session_and_says_how_many(settings_factory,
                                                                           clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock, ws_resume_seconds=30)
    waiting = await reg.issue("p0", client="a")  # no socket ever: nothing to hand over
    players = [await reg.issue(f"p{i}", client=f"c{i}") for i in (1, 2)]
    closes: list[list[tuple[int, str]]] = [[], []]
    for player, record in zip(players, closes, strict=True):
        await connect(reg, player, record)
    sharing.refused = {players[1].key}
    with capture_logs() as logs:
        await reg.close_all()
    assert [(key, keep) for key, _, keep in sharing.detached] == [(players[0].key, 35.0)]
    assert sharing.detached[0][1]
    assert [(e["event"], e["log_level"], e["event_type"], e.get("error"), e.get("sessions")) for e in logs
            if e["event"] in ("session_hand_over_failed", "sessions_handed_over")] == [
        ("session_hand_over_failed", "warning", "session_store", "Redis did not answer.", None),
        ("sessions_handed_over", "info", "shutdown", None, 1)]
    assert waiting.closed and all(p.closed for p in players) and len(reg) == 0
    assert closes == [[(4409, "continued on another connection")]] * 2
    assert not await reg.store.expired(players[0].key)  # handed over, not ended: another process goes on


async def test_a_socket_claims_its_session_here_or_goes_on_with_one_another_process_held(settings_factory,
                                                                                        clock: FakeClock) -> None:
    reg, sharing = shared(settings_factory, clock)
    player = await reg.issue("p1", client="a")
    assert await reg.connect(player.token) is player  # issued here, never elsewhere: this process plays it
    assert await reg.connect(player.token + "x") == "unknown"  # no process knows it
    assert await reg.connect(None) == "missing"
    elsewhere = "token-issued-by-process-b"
    sharing.records[token_key(elsewhere)] = TokenRecord(token_key(elsewhere), "p2", "b")
    sharing.owners[token_key(elsewhere)] = "process-b"
    moved = await reg.connect(elsewhere)
    assert isinstance(moved, PlayerSession) and (moved.player_id, moved.client) == ("p2", "b")
    assert sharing.released == [("process-b", token_key(elsewhere))]  # its last snapshot first
    assert reg.lookup(elsewhere) is moved and len(reg) == 2
    await reg.close_all()


async def test_close_all_says_so_when_a_session_failed_to_close_even_if_none_hung(settings_factory,
                                                                                 clock: FakeClock) -> None:
    reg = registry(settings_factory, clock)
    broken = await reg.issue("p1", client="a")

    async def fail() -> None:
        raise RuntimeError("close failed")

    broken.close = fail  # type: ignore[method-assign]
    with capture_logs() as logs:
        await reg.close_all()
    assert [(e["event"], e["pending"], e["failed"]) for e in logs if e["log_level"] == "error"] == [
        ("sessions_close_incomplete", 0, 1)]


class SwallowingSharing(RecordingSharing):
    """A lease renewal that swallows its caller's cancellation, as the Redis client can mid-command."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()

    async def refresh(self, held: Iterable[TokenRecord]) -> None:
        self.entered.set()
        try:
            await asyncio.Event().wait()  # a command that is still in flight when shutdown cancels
        except asyncio.CancelledError:
            pass  # the library's bug, not ours: the task stays "cancelling"


async def test_the_sweeper_stops_when_a_store_call_swallows_its_cancellation(settings_factory,
                                                                            clock: FakeClock) -> None:
    reg, _ = shared(settings_factory, clock)
    store = reg.store
    assert isinstance(store, SharedLocalStore)
    swallowing = SwallowingSharing()
    store.sharing = swallowing  # type: ignore[assignment]
    sweeper = asyncio.create_task(reg.run_cleanup(5.0))
    await clock.advance(5.0)
    async with asyncio.timeout(5):
        await swallowing.entered.wait()
    sweeper.cancel()
    done, _ = await asyncio.wait({sweeper}, timeout=5)  # it used to sleep on: shutdown waited for ever
    if not done:
        sweeper.cancel()  # (it sleeps now: a second cancel reaches it)
    assert done and sweeper.cancelled()
