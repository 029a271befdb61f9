"""The Redis session store against a real redis-server: two stores are two processes sharing it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis

from web.redis_store import RedisSessionStore
from web.store import LocalSessionStore as Local
from web.store import StoreUnavailable, TokenRecord, token_key

LEASE = 130.0


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[tuple[RedisSessionStore, RedisSessionStore, aioredis.Redis]]:
    a = RedisSessionStore(redis_url, per_minute=6, burst=2, lease=LEASE, instance="a")
    b = RedisSessionStore(redis_url, per_minute=6, burst=2, lease=LEASE, instance="b")
    await a.start()
    await b.start()
    async with asyncio.timeout(10):  # subscribed: a message published before would be lost
        await a.listening()
        await b.listening()
    raw = aioredis.Redis.from_url(redis_url)
    try:
        yield a, b, raw
    finally:
        await a.aclose()
        await b.aclose()
        await raw.aclose()


def record(n: int, client: str = "198.51.100.7") -> TokenRecord:
    return TokenRecord(token_key(f"token-{n}"), f"player-{n}", client)


async def test_the_new_session_rate_is_one_bucket_for_every_process(stores) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = stores
    assert await a.take("198.51.100.7") == 0
    assert await b.take("198.51.100.7") == 0  # the burst of 2 is spent across both
    wait = await a.take("198.51.100.7")
    assert 9.0 < wait <= 10.0  # 6 a minute: one every 10 s
    assert await b.take("203.0.113.9") == 0  # another client has its own bucket


async def test_a_client_share_counts_every_process_and_its_oldest_waiting_token_gives_way(stores) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = stores
    assert (await a.admit(record(1), cap=2, ttl=60)).admitted
    assert (await a.admit(record(2), cap=2, ttl=60)).admitted
    third = await b.admit(record(3), cap=2, ttl=60)
    assert third.admitted and third.evicted == ((record(1).key, "a"),)  # a's oldest token, never connected
    assert await b.expired(record(1).key) and await b.claim(record(1).key) is None
    assert await b.claim(record(2).key) is not None  # connected now: it no longer gives way
    assert await a.claim(record(3).key) is not None
    refused = await a.admit(record(4), cap=2, ttl=60)
    assert not refused.admitted and await a.claim(record(4).key) is None  # nothing held for a refusal


async def test_a_claim_moves_ownership_and_fences_the_old_owner(stores) -> None:  # type: ignore[no-untyped-def]
    a, b, raw = stores
    r = record(1)
    assert await a.claim(r.key) is None  # unknown everywhere
    await a.admit(r, cap=10, ttl=60)
    mine = await a.claim(r.key)
    assert mine is not None and mine.record == r and mine.previous_owner == "" and mine.snapshot is None
    assert await a.save([(r.key, b"one")]) == 1
    moved = await b.claim(r.key)
    assert moved is not None and moved.previous_owner == "a" and moved.snapshot == b"one"
    assert await a.save([(r.key, b"stale")]) == 0  # a lost it: its late writes are refused
    await a.detach(r.key, b"stale", keep_for=5)
    await a.forget(r.key)
    assert await b.save([(r.key, b"two")]) == 1
    assert await raw.hget(f"da:s:{r.key}", "snap") == b"two" and not await a.expired(r.key)


async def test_records_live_as_long_as_their_window(stores) -> None:  # type: ignore[no-untyped-def]
    a, _, raw = stores
    r = record(1)
    await a.admit(r, cap=10, ttl=65)
    key = f"da:s:{r.key}"
    assert 64_000 < await raw.pttl(key) <= 65_000  # a token waits for its socket
    await a.claim(r.key)
    assert LEASE * 1000 - 1000 < await raw.pttl(key) <= LEASE * 1000  # connected: the lease
    await a.detach(r.key, b"snap", keep_for=125)
    assert 124_000 < await raw.pttl(key) <= 125_000  # the socket went away: the resume window
    await raw.pexpire(key, 1000)
    await a.claim(r.key)  # back: attached again, the renewals keep it
    await raw.pexpire(key, 1000)
    await a.refresh([r])
    assert await raw.pttl(key) > LEASE * 1000 - 1000 and await raw.pttl(f"da:c:{r.client}") > LEASE * 1000 - 1000
    await a.detach(r.key, b"snap", keep_for=125)
    await a.refresh([r])  # not renewed while detached
    assert await raw.pttl(key) <= 125_000


async def test_forget_leaves_a_tombstone_and_only_the_owner_may(stores) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = stores
    r = record(1)
    await a.admit(r, cap=10, ttl=60)
    await a.claim(r.key)
    await b.forget(r.key)  # b does not own it
    assert await a.claim(r.key) is not None and not await a.expired(r.key)
    await a.forget(r.key)
    assert await b.claim(r.key) is None and await b.expired(r.key)
    quiet = record(2)
    await a.admit(quiet, cap=10, ttl=60)
    await a.forget(quiet.key, expired=False)  # an admission undone: "unknown", not "expired"
    assert await a.claim(quiet.key) is None and not await a.expired(quiet.key)


async def test_a_process_hears_what_another_tells_it(stores) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = stores
    heard: list[tuple[str, str]] = []

    async def handler(message: str, key: str, sender: str) -> None:
        heard.append((message, key, sender))
        if message == "release":
            await a.tell(sender, "released", key)

    a.on_message(handler)  # type: ignore[arg-type]
    await b.tell("a", "evicted", "k1")
    await b.release("a", "k2")  # answered: returns once a said "released"
    await b.release("nobody", "k3")  # nobody listens: returns at once
    async with asyncio.timeout(10):
        await a.wait_handled(2)
    assert heard == [("evicted", "k1", "b"), ("release", "k2", "b")]


async def test_an_unreachable_redis_is_a_retryable_error_and_a_health_reason(redis_server) -> None:  # type: ignore[no-untyped-def]
    from tests.redis_server import free_port

    store = RedisSessionStore(f"redis://:hunter2@127.0.0.1:{free_port()}/0", per_minute=6, burst=2, lease=LEASE)
    await store.start()
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await store.take("198.51.100.7")
        assert caught.value.retry_after > 0 and "REDIS_URL" in (caught.value.hint or "")
        problem = await store.problem()
        assert problem is not None and "unreachable" in problem and "hunter2" not in problem
    finally:
        await store.aclose()


async def test_the_local_store_keeps_the_same_rules_in_process() -> None:
    from digital_actors.clock import FakeClock

    local = Local(per_minute=6, burst=2, clock=FakeClock())
    assert local.sharing is None
    assert (await local.admit(record(1), cap=2, ttl=60)).admitted
    assert (await local.admit(record(2), cap=2, ttl=60)).admitted
    await local.attached(record(1).key)
    third = await local.admit(record(3), cap=2, ttl=60)
    assert third.evicted == ((record(2).key, ""),) and await local.expired(record(2).key)  # the waiting one
    await local.attached(record(3).key)
    assert not (await local.admit(record(4), cap=2, ttl=60)).admitted


async def test_a_burst_larger_than_the_pool_waits_for_connections_instead_of_failing(redis_url: str) -> None:
    """Past REDIS_MAX_CONNECTIONS callers queue for a connection (redis-py's default pool refused
    them at once with "Too many connections": 749 of 1,000 sessions at a burst)."""
    store = RedisSessionStore(redis_url, per_minute=60_000, burst=10_000, lease=LEASE, instance="p",
                              max_connections=2)
    watcher = aioredis.Redis.from_url(redis_url)
    try:
        before = {c["name"] for c in await watcher.client_list()}
        admitted = await asyncio.gather(*(store.admit(record(n, f"192.0.2.{n}"), cap=5, ttl=60)
                                          for n in range(200)))
        assert all(a.admitted for a in admitted)
        assert len(await watcher.client_list()) - len(before) <= 2  # this store opened two at most
    finally:
        await store.aclose()
        await watcher.aclose()
