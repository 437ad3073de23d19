"""The AI answer cache: keys, JSON values, TTL, size bound and clearing, in the database and in Redis."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from pipeline.ai.admin import clear_cache
from pipeline.ai.cache import DBCache, EntryInfo, NullCache, RedisCache, cache_key, make_cache
from pipeline.errors import ConfigError
from pipeline.models import AICacheEntry


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def info(prompt: str = "title") -> EntryInfo:
    return EntryInfo("openai", "gpt-4o-mini", prompt, "v1")


def test_key_depends_on_every_part():
    base = ("openai", "gpt-4o-mini", "title", "title", "abc", {"slides": [1, 2], "x": "é"})
    key = cache_key(*base)
    assert len(key) == 64 and key == cache_key(*base[:5], {"x": "é", "slides": [1, 2]})   # key order is irrelevant
    for i, other in enumerate(("offline", "gpt-5-mini", "mindmap", "other", "abd", {"slides": [1]})):
        changed = list(base)
        changed[i] = other
        assert cache_key(*changed) != key


def test_db_cache_round_trip_as_json(sessions):
    cache = DBCache(sessions, ttl_days=1, max_entries=100)
    assert cache.get("k") is None
    cache.put("k", {"title": "Ünïcode ✓", "n": [1, 2]}, info())
    assert cache.get("k") == {"title": "Ünïcode ✓", "n": [1, 2]}
    cache.put("k", {"title": "replaced"}, info())
    assert cache.get("k") == {"title": "replaced"}
    with sessions() as s:
        row = s.get(AICacheEntry, "k")
        assert row.hits == 1 and row.prompt_name == "title" and row.size == len('{"title":"replaced"}')


def test_db_cache_ttl_expiry(sessions):
    clock = Clock()
    cache = DBCache(sessions, ttl_days=2, max_entries=100, clock=clock)
    cache.put("k", {"v": 1}, info())
    clock.now += timedelta(days=1, hours=23)
    assert cache.get("k") == {"v": 1}
    clock.now += timedelta(hours=2)
    assert cache.get("k") is None
    assert cache.count() == 0                   # the expired row went with the lookup


def test_db_cache_evicts_the_oldest_beyond_the_bound(sessions):
    clock = Clock()
    cache = DBCache(sessions, ttl_days=30, max_entries=10, clock=clock)
    for i in range(14):
        clock.now += timedelta(seconds=1)
        cache.put(f"k{i}", {"i": i}, info())
    assert cache.count() == 10
    assert [cache.get(f"k{i}") for i in range(4)] == [None] * 4
    assert cache.get("k4") == {"i": 4} and cache.get("k13") == {"i": 13}


def test_db_cache_clear_by_prompt(sessions, make_settings):
    cache = DBCache(sessions, ttl_days=30, max_entries=100)
    cache.put("a", {"v": 1}, info("title"))
    cache.put("b", {"v": 2}, info("title"))
    cache.put("c", {"v": 3}, info("mindmap"))
    assert clear_cache(make_settings(), sessions, prompt="title") == 2
    assert cache.get("a") is None and cache.get("c") == {"v": 3}
    assert clear_cache(make_settings(), sessions) == 1
    with sessions() as s:
        assert list(s.scalars(select(AICacheEntry))) == []


def test_make_cache_follows_the_setting(make_settings, sessions):
    assert isinstance(make_cache(make_settings(), sessions), DBCache)
    off = make_cache(make_settings(HANDOUTS_AI_CACHE="off"), sessions)
    assert isinstance(off, NullCache)
    off.put("k", {"v": 1}, info())
    assert off.get("k") is None and off.clear() == 0
    with pytest.raises(ConfigError, match="REDIS_URL"):
        make_cache(make_settings(HANDOUTS_AI_CACHE="redis"), sessions)
    assert clear_cache(make_settings(HANDOUTS_AI_CACHE="off"), sessions) == 0


@pytest.fixture
def redis_cache_client():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis cache tests: TEST_REDIS_URL is not set")
        pytest.skip("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    import redis

    client = redis.Redis.from_url(url)
    prefix = f"handouts-test:{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_redis_cache_round_trip_ttl_bound_and_clear(redis_cache_client):
    client, prefix = redis_cache_client
    clock = Clock()
    cache = RedisCache(client, ttl_days=1, max_entries=10, prefix=prefix, clock=clock)
    assert cache.get("k0") is None
    for i in range(12):
        clock.now += timedelta(seconds=1)
        cache.put(f"k{i}", {"i": i, "s": "✓"}, info("title" if i % 2 else "mindmap"))
    assert cache.get("k0") is None and cache.get("k1") is None          # evicted, oldest first
    assert cache.get("k11") == {"i": 11, "s": "✓"}
    assert 0 < client.ttl(f"{prefix}entry:k11") <= 86400               # Redis expires it by itself
    raw = client.get(f"{prefix}entry:k11")
    assert raw.startswith(b"{")                                         # JSON, not a pickle
    assert cache.clear("title") == 5
    assert cache.get("k11") is None and cache.get("k10") == {"i": 10, "s": "✓"}
    assert cache.clear() == 5
    assert list(client.scan_iter(match=prefix + "*")) == []
